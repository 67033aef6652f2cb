import { Controller, Logger } from '@nestjs/common';
import { FlowEvent, type ProviderCredentialsRestoredEvent } from '@flow-oauth/queue-contracts';
import { RefreshProviders, RefreshSweep } from '@flow-oauth/token-refresh';
import { EventPattern, Payload } from '@nestjs/microservices';

/** Events for token-refresher. */
@Controller()
export class ProviderEventsController {
  private readonly logger = new Logger('ProviderEvents');

  constructor(
    private readonly sweep: RefreshSweep,
    private readonly providers: RefreshProviders,
  ) {}

  /** A load changed providers: background refreshes read them again now (not up to a second later). */
  @EventPattern(FlowEvent.ProvidersChanged)
  providersChanged(): void {
    this.providers.forgetAll();
  }

  /** A load fixed a provider whose credentials were rejected: its paused refreshes are queued now, not at the next sweep. */
  @EventPattern(FlowEvent.ProviderCredentialsRestored)
  async credentialsRestored(@Payload() event: ProviderCredentialsRestoredEvent): Promise<void> {
    const result = await this.sweep.run({ providerId: event.providerId });
    this.logger.log(`provider ${event.type}/${event.provider} restored: ${result.recreated} paused refresh(es) queued`);
  }
}
