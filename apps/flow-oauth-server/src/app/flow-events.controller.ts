import { Controller, Logger } from '@nestjs/common';
import { UsersService } from '@flow-oauth/api-auth';
import { ConnectorsService, ProviderRegistry } from '@flow-oauth/connectors';
import {
  type ConnectorDeletedEvent,
  type ConnectorNeedsReauthEvent,
  type ConnectorTokensReplacedEvent,
  FlowEvent,
  type ProvidersChangedEvent,
  type UserDeletedEvent,
} from '@flow-oauth/queue-contracts';
import { EventPattern, Payload } from '@nestjs/microservices';

/** Events from the other services (and from the other flow-oauth-server instances). */
@Controller()
export class FlowEventsController {
  private readonly logger = new Logger('FlowEvents');

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly connectors: ConnectorsService,
    private readonly users: UsersService,
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

  @EventPattern(FlowEvent.ConnectorDeleted)
  connectorDeleted(@Payload() event: ConnectorDeletedEvent): void {
    this.connectors.forget(event.connectorId);
  }

  @EventPattern(FlowEvent.ConnectorTokensReplaced)
  tokensReplaced(@Payload() event: ConnectorTokensReplacedEvent): void {
    this.connectors.forget(event.connectorId);
  }

  @EventPattern(FlowEvent.UserDeleted)
  userDeleted(@Payload() event: UserDeletedEvent): void {
    this.users.forgetKeys();
    this.logger.log(`user ${event.name} deleted; its key is no longer accepted`);
  }
}
