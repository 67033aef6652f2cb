import { Controller, Logger } from '@nestjs/common';
import { FlowEvent, type ProviderCredentialsRestoredEvent } from '@flow-oauth/queue-contracts';
import { DueRefreshLoop, RefreshProviders } from '@flow-oauth/token-refresh';
import { EventPattern, Payload } from '@nestjs/microservices';

/** Events for token-refresher. */
@Controller()
export class ProviderEventsController {
  private readonly logger = new Logger('ProviderEvents');

  constructor(
    private readonly loop: DueRefreshLoop,
    private readonly providers: RefreshProviders,
  ) {}

  /** A load changed providers: background refreshes read them again now (not up to a second later). */
  @EventPattern(FlowEvent.ProvidersChanged)
  providersChanged(): void {
    this.providers.forgetAll();
  }

  /** A load fixed a provider whose credentials were rejected: its paused refreshes are due again, looked for now. */
  @EventPattern(FlowEvent.ProviderCredentialsRestored)
  credentialsRestored(@Payload() event: ProviderCredentialsRestoredEvent): void {
    this.providers.forget(event.providerId);
    this.loop.wake();
    this.logger.log(`provider ${event.type}/${event.provider} restored: its paused refreshes resume`);
  }
}
