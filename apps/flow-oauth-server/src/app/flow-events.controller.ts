import { Controller, Logger } from '@nestjs/common';
import { ConnectorsService, ProviderRegistry } from '@flow-oauth/connectors';
import { FlowEvent, type ConnectorNeedsReauthEvent, type ProvidersChangedEvent } from '@flow-oauth/queue-contracts';
import { EventPattern, Payload } from '@nestjs/microservices';

/** Events from the other services. */
@Controller()
export class FlowEventsController {
  private readonly logger = new Logger('FlowEvents');

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly connectors: ConnectorsService,
  ) {}

  @EventPattern(FlowEvent.ProvidersChanged)
  async providersChanged(@Payload() event: ProvidersChangedEvent): Promise<void> {
    this.logger.log(`providers changed (${event.added.length} added, ${event.updated.length} updated, ${event.deleted.length} deleted); reloading`);
    await this.registry.reload();
  }

  @EventPattern(FlowEvent.ConnectorNeedsReauth)
  needsReauth(@Payload() event: ConnectorNeedsReauthEvent): void {
    this.connectors.forget(event.connectorId);
    this.logger.warn(`connector ${event.connectorId} needs re-authorization (${event.reason})`);
  }
}
