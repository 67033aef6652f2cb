import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { QueueName, type RefreshJobData, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import type { Queue } from 'bullmq';
import { DataSource, IsNull, Not } from 'typeorm';
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
    @InjectQueue(QueueName.TokenRefresh) private readonly queue: Queue<RefreshJobData>,
  ) {}

  /** Registers the repeating sweep (idempotent across restarts and instances). */
  async register(): Promise<void> {
    await this.queue.upsertJobScheduler(SWEEP_SCHEDULER_ID, { every: SWEEP_EVERY_MS }, { name: TokenRefreshJobName.Sweep, data: { connectorId: '*', reason: 'sweep' } });
  }

  /** One pass; returns how many jobs it re-created. */
  async run(): Promise<number> {
    const connectors = await this.dataSource.getRepository(ConnectorEntity).find({
      where: { status: 'active', expiresAt: Not(IsNull()), accessToken: Not(IsNull()) },
      select: { id: true, expiresAt: true, tokenVersion: true },
    });
    let healed = 0;
    for (const connector of connectors) {
      const job = await this.queue.getJob(RefreshProducer.jobId(connector.id, connector.tokenVersion));
      if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
      await this.producer.schedule(connector, 'sweep');
      healed += 1;
    }
    if (healed > 0) this.logger.warn(`sweep re-created ${healed} missing refresh job(s)`);
    return healed;
  }
}
