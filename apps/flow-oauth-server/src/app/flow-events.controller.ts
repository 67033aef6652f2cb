import { Controller, Logger } from '@nestjs/common';
import { ConnectorsService, ProviderRegistry } from '@flow-oauth/connectors';
import { FlowEvent, type ConnectorNeedsReauthEvent, type ConnectorRefreshedEvent, type ProvidersChangedEvent } from '@flow-oauth/queue-contracts';
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

  /** Cached answers are keyed by token version already; this just frees the stale one early. */
  @EventPattern(FlowEvent.ConnectorRefreshed)
  refreshed(@Payload() event: ConnectorRefreshedEvent): void {
    this.connectors.forget(event.connectorId);
  }

  @EventPattern(FlowEvent.ConnectorNeedsReauth)
  needsReauth(@Payload() event: ConnectorNeedsReauthEvent): void {
    this.connectors.forget(event.connectorId);
    this.logger.warn(`connector ${event.connectorId} needs re-authorization (${event.reason})`);
  }
}
