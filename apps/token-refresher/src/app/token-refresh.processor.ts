import { type BeforeApplicationShutdown, Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { OAuthProtocolError } from '@flow-oauth/oauth-client';
import { RefreshMetrics, type RefreshOutcomeLabel } from '@flow-oauth/observability';
import { QueueName, type RefreshJobData, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import {
  jobTokenVersion,
  refreshFailureKind,
  refreshHistoryOutcome,
  refreshOutcomeKind,
  refreshRetryDelay,
  RefreshHistory,
  SweepTimer,
  TokenRefreshService,
} from '@flow-oauth/token-refresh';
import { DelayedError, type Job, type MinimalJob } from 'bullmq';

/** A refresh job's data, plus how often the provider already said "later" (429 / Retry-After). */
type RefreshJob = Job<RefreshJobData & { rateLimited?: number }>;

const MAX_RETRY_AFTER_SECONDS = 3600;

/** The refresh jobs' retry schedule (REFRESH_BACKOFF): provider failures back off long, database ones briefly. */
function refreshBackoff(attemptsMade: number, _type?: string, error?: Error, job?: MinimalJob): number {
  const backoff = job?.opts.backoff;
  const base = typeof backoff === 'object' && backoff.delay ? backoff.delay : 30_000;
  const jitter = typeof backoff === 'object' && backoff.jitter !== undefined ? backoff.jitter : 0.5;
  return refreshRetryDelay(attemptsMade, error, base, jitter);
}

/**
 * A job's lock in Redis lives this long unless its worker renews it (every half of it): a killed
 * worker's job is seen as stalled, and run again by a live worker, within JOB_LOCK_MS + STALLED_CHECK_MS.
 */
export const JOB_LOCK_MS = 8_000;
export const STALLED_CHECK_MS = 4_000;

/** How a refresh ended (the metric's outcome label; the kinds are listed with REFRESH_OUTCOMES). */
export type RefreshOutcomeKind = RefreshOutcomeLabel;

/** One refresh, measured: what the metrics of issue 7 need. */
export interface RefreshRecord {
  connectorId: string;
  outcome: RefreshOutcomeKind;
  /** From the job's start to its end. */
  durationMs: number;
  /** From the connector's due time to the end of this attempt (negative when it ran early). */
  lagMs: number | undefined;
  attempt: number;
  /** The provider was not called (connector or provider already refused): the admin chart's `skipped`, not a failure. */
  skipped?: boolean;
  /** Secret-free reason of a failure. */
  detail?: string;
}

/**
 * Consumes the token-refresh queue: one refresh per job (the lib's refresh function), REFRESH_CONCURRENCY
 * at a time. Graceful stop (pm2 stop/restart, SIGINT/SIGTERM): takes no new job, finishes the ones
 * in flight, releases their locks; pm2's kill_timeout (30 s) covers a refresh's 15 s provider timeout.
 */
@Processor(QueueName.TokenRefresh, {
  autorun: false,
  lockDuration: JOB_LOCK_MS,
  stalledInterval: STALLED_CHECK_MS,
  // A stall of a live but busy worker is harmless (the connector lock keeps one refresh at a time).
  maxStalledCount: 3,
  settings: { backoffStrategy: refreshBackoff },
})
export class TokenRefreshProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TokenRefreshProcessor');

  constructor(
    private readonly refresher: TokenRefreshService,
    private readonly sweepTimer: SweepTimer,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
    private readonly metrics: RefreshMetrics,
    private readonly history: RefreshHistory,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker.concurrency = this.config.refreshConcurrency;
    this.worker.run().catch((error: Error) => this.logger.error(`refresh worker stopped: ${error.message}`));
    await this.sweepTimer.start();
  }

  /** Before Redis and the database close: no new job, the jobs in flight finish (their locks are released). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sweepTimer.stop();
    await this.worker.close();
    // The outcomes of the last refreshes, still in memory.
    await this.history.flush();
  }

  async process(job: RefreshJob, token?: string): Promise<string> {
    switch (job.name) {
      case TokenRefreshJobName.RefreshConnector:
        return this.refresh(job, token);
      case TokenRefreshJobName.Sweep:
        return "ignored: the sweep runs on each token-refresher's own timer";
      default:
        throw new Error(`unknown job ${job.name}`);
    }
  }

  private async refresh(job: RefreshJob, token: string | undefined): Promise<string> {
    const started = Date.now();
    const measure = (outcome: RefreshOutcomeKind, detail?: string, skipped?: boolean): RefreshRecord => {
      const end = Date.now();
      const due = job.data.dueAt ? Date.parse(job.data.dueAt) : Number.NaN;
      return { connectorId: job.data.connectorId, outcome, durationMs: end - started, lagMs: Number.isFinite(due) ? end - due : undefined, attempt: job.attemptsMade + 1, detail, ...(skipped ? { skipped } : {}) };
    };
    try {
      const outcome = await this.refresher.refreshConnector(job.data.connectorId, 'if-due', { runningJobId: job.id });
      const kind = refreshOutcomeKind(outcome);
      const detail = outcome.status === 'credentials_rejected' ? `${outcome.provider.type}/${outcome.provider.provider}: ${outcome.provider.rejectedError ?? 'invalid_client'}` : undefined;
      this.recordOutcome(measure(kind, detail, refreshHistoryOutcome(outcome) === 'skipped'));
      return kind;
    } catch (error) {
      this.recordOutcome(measure(refreshFailureKind(error), error instanceof Error ? error.message : undefined));
      await this.honourRetryAfter(job, error, token);
      throw error;
    }
  }

  /**
   * THE place where each background refresh's outcome, duration and lag behind its due time are
   * known: one log line per outcome (never a secret). Metrics and the hourly history (admin page) hook in here.
   */
  recordOutcome(record: RefreshRecord): void {
    this.metrics.recordOutcome(record.outcome, record.durationMs / 1000, record.lagMs === undefined ? undefined : record.lagMs / 1000);
    this.history.record(record.skipped ? 'skipped' : record.outcome);
    const lag = record.lagMs === undefined ? '' : `, ${record.lagMs} ms after due`;
    const line = `refresh of connector ${record.connectorId}: ${record.outcome} in ${record.durationMs} ms${lag} (attempt ${record.attempt})${record.detail ? `: ${record.detail}` : ''}`;
    switch (record.outcome) {
      case 'refreshed':
      case 'fresh':
      case 'not_refreshable':
      case 'missing':
        this.logger.log(line);
        break;
      case 'credentials_rejected':
      case 'error':
        this.logger.error(line);
        break;
      default:
        this.logger.warn(line);
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

  /** After the last retry the connector shows refresh_failed (the sweep keeps trying it). */
  @OnWorkerEvent('failed')
  async onFailed(job: RefreshJob | undefined, error: Error): Promise<void> {
    if (!job || job.name !== TokenRefreshJobName.RefreshConnector) return;
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
    await this.refresher
      .markRefreshFailed(job.data.connectorId, jobTokenVersion(job.id), error)
      .catch((e: Error) => this.logger.error(`connector ${job.data.connectorId} could not be marked refresh_failed: ${e.message}`));
  }
}
