import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { QueueName, type RefreshJobData, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import type { Queue } from 'bullmq';
import { DataSource, In, IsNull, Not } from 'typeorm';
import { ProviderReader } from '@flow-oauth/provider-config';
import { RefreshProducer } from './refresh.producer';

export const SWEEP_SCHEDULER_ID = 'refresh-sweep';
export const SWEEP_EVERY_MS = 60_000;

/** The safety sweep: re-creates the refresh job of every expiring connector that has none, so lost Redis state heals. */
@Injectable()
export class RefreshSweep {
  private readonly logger = new Logger('RefreshSweep');

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: RefreshProducer,
    private readonly providers: ProviderReader,
    @InjectQueue(QueueName.TokenRefresh) private readonly queue: Queue<RefreshJobData>,
  ) {}

  /** Registers the repeating sweep (idempotent across restarts and instances). */
  async register(): Promise<void> {
    await this.queue.upsertJobScheduler(
      SWEEP_SCHEDULER_ID,
      { every: SWEEP_EVERY_MS },
      { name: TokenRefreshJobName.Sweep, data: { connectorId: '*', reason: 'sweep' }, opts: { removeOnComplete: 10, removeOnFail: 50 } },
    );
  }

  /** One pass; returns how many jobs it re-created. */
  async run(): Promise<number> {
    const connectors = await this.dataSource.getRepository(ConnectorEntity).find({
      // refresh_failed connectors too: once the provider is back, the next attempt heals them.
      where: { status: In(['active', 'refresh_failed']), expiresAt: Not(IsNull()), accessToken: Not(IsNull()) },
      select: { id: true, providerId: true, expiresAt: true, tokenVersion: true, updatedAt: true },
    });
    // Providers that never refresh (OAuth 1.0a, bitly...) would have their jobs re-created forever.
    const refreshable = new Set((await this.providers.all()).filter((p) => p.definition.oauth_type !== 'OAuth1' && p.definition.refreshable !== false).map((p) => p.id));
    let healed = 0;
    for (const connector of connectors) {
      if (!refreshable.has(connector.providerId)) continue;
      try {
        const job = await this.queue.getJob(RefreshProducer.jobId(connector.id, connector.tokenVersion));
        if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
        await this.producer.schedule(connector, 'sweep');
        healed += 1;
      } catch (error) {
        this.logger.error(`sweep could not check connector ${connector.id}: ${(error as Error).message}`);
      }
    }
    if (healed > 0) this.logger.warn(`sweep re-created ${healed} missing refresh job(s)`);
    return healed;
  }
}
