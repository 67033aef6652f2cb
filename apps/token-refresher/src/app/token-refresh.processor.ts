import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { OAuthProtocolError } from '@flow-oauth/oauth-client';
import { RefreshMetrics } from '@flow-oauth/observability';
import { QueueName, type RefreshJobData, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import { jobTokenVersion, RefreshSweep, TokenRefreshService } from '@flow-oauth/token-refresh';
import { DelayedError, type Job } from 'bullmq';

/** A refresh job's data, plus how often the provider already said "later" (429 / Retry-After). */
type RefreshJob = Job<RefreshJobData & { rateLimited?: number }>;

const MAX_RETRY_AFTER_SECONDS = 3600;

/** Consumes the token-refresh queue: one refresh per job (the lib's refresh function), and the sweep. */
@Processor(QueueName.TokenRefresh, { concurrency: 4 })
export class TokenRefreshProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('TokenRefreshProcessor');

  constructor(
    private readonly refresher: TokenRefreshService,
    private readonly sweep: RefreshSweep,
    private readonly metrics: RefreshMetrics,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep.register();
  }

  async process(job: RefreshJob, token?: string): Promise<string> {
    switch (job.name) {
      case TokenRefreshJobName.RefreshConnector: {
        const started = performance.now();
        // Lag behind the due time: the first attempt only (a retry or a Retry-After wait is late on purpose).
        const lag = job.attemptsMade === 0 && !job.data.rateLimited ? (Date.now() - job.timestamp - (job.opts.delay ?? 0)) / 1000 : undefined;
        try {
          const outcome = await this.refresher.refreshConnector(job.data.connectorId, 'if-due');
          this.metrics.recordOutcome(outcome.status, (performance.now() - started) / 1000, lag);
          return outcome.status;
        } catch (error) {
          const transient = error instanceof OAuthProtocolError && error.kind === 'transient';
          this.metrics.recordOutcome(transient ? 'transient_error' : 'error', (performance.now() - started) / 1000, lag);
          await this.honourRetryAfter(job, error, token);
          throw error;
        }
      }
      case TokenRefreshJobName.Sweep:
        return `re-created ${await this.sweep.run()}`;
      default:
        throw new Error(`unknown job ${job.name}`);
    }
  }

  /**
   * A provider that answered 429 with Retry-After is asked again when it said, not on the backoff
   * schedule; this counts against the job's attempts like any other failure.
   */
  private async honourRetryAfter(job: RefreshJob, error: unknown, token: string | undefined): Promise<void> {
    if (!(error instanceof OAuthProtocolError) || error.kind !== 'transient' || !error.retryAfterSeconds || !token) return;
    const used = (job.data.rateLimited ?? 0) + job.attemptsMade + 1;
    if (used >= (job.opts.attempts ?? 1)) return;
    const seconds = Math.min(error.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
    await job.updateData({ ...job.data, rateLimited: (job.data.rateLimited ?? 0) + 1 });
    await job.moveToDelayed(Date.now() + seconds * 1000, token);
    this.logger.warn(`provider rate-limited the refresh of ${job.data.connectorId}; retrying in ${seconds} s as it asked`);
    throw new DelayedError();
  }

  /** After the last retry of a transient failure the connector shows refresh_failed. */
  @OnWorkerEvent('failed')
  async onFailed(job: RefreshJob | undefined, error: Error): Promise<void> {
    if (!job || job.name !== TokenRefreshJobName.RefreshConnector) return;
    const attempts = job.opts.attempts ?? 1;
    this.logger.warn(`refresh of ${job.data.connectorId} failed (attempt ${job.attemptsMade}/${attempts}): ${error.message}`);
    if (job.attemptsMade >= attempts) await this.refresher.markRefreshFailed(job.data.connectorId, jobTokenVersion(job.id), error);
  }
}
