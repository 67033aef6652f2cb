import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { QueueName, type RefreshJobData, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import { RefreshSweep, TokenRefreshService } from '@flow-oauth/token-refresh';
import type { Job } from 'bullmq';

/** Consumes the token-refresh queue: one refresh per job (the lib's refresh function), and the sweep. */
@Processor(QueueName.TokenRefresh, { concurrency: 4 })
export class TokenRefreshProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('TokenRefreshProcessor');

  constructor(
    private readonly refresher: TokenRefreshService,
    private readonly sweep: RefreshSweep,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep.register();
  }

  async process(job: Job<RefreshJobData>): Promise<string> {
    switch (job.name) {
      case TokenRefreshJobName.RefreshConnector:
        return (await this.refresher.refreshConnector(job.data.connectorId, 'if-due')).status;
      case TokenRefreshJobName.Sweep:
        return `re-created ${await this.sweep.run()}`;
      default:
        throw new Error(`unknown job ${job.name}`);
    }
  }

  /** After the last retry of a transient failure the connector shows refresh_failed. */
  @OnWorkerEvent('failed')
  async onFailed(job: Job<RefreshJobData> | undefined, error: Error): Promise<void> {
    if (!job || job.name !== TokenRefreshJobName.RefreshConnector) return;
    const attempts = job.opts.attempts ?? 1;
    this.logger.warn(`refresh of ${job.data.connectorId} failed (attempt ${job.attemptsMade}/${attempts}): ${error.message}`);
    if (job.attemptsMade >= attempts) await this.refresher.markRefreshFailed(job.data.connectorId, error);
  }
}
