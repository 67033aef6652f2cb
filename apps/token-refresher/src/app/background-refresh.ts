import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { obliterateQueue } from '@flow-oauth/messaging';
import { RefreshMetrics } from '@flow-oauth/observability';
import { RETIRED_QUEUES } from '@flow-oauth/queue-contracts';
import { REDIS } from '@flow-oauth/redis';
import { DueRefreshLoop, type RefreshRecord, RefreshHistory, refreshOutcomeLevel } from '@flow-oauth/token-refresh';
import type { Redis } from 'ioredis';

/**
 * token-refresher's background refresh: starts the due-refresh loop (DueRefreshLoop: the due
 * connectors read from the database, REFRESH_CONCURRENCY at a time) and records each attempt's
 * outcome. Graceful stop (pm2 stop/restart, SIGINT/SIGTERM): takes no new refresh, finishes the
 * ones in flight, releases their locks; pm2's kill_timeout (30 s) covers a refresh's 15 s provider
 * timeout.
 */
@Injectable()
export class BackgroundRefresh implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BackgroundRefresh');

  constructor(
    private readonly loop: DueRefreshLoop,
    private readonly metrics: RefreshMetrics,
    private readonly history: RefreshHistory,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    metrics.trackInFlight(() => loop.inFlightCount);
    metrics.trackBacklog(() => loop.backlog(Date.now()));
  }

  onApplicationBootstrap(): void {
    this.loop.start((record) => this.recordOutcome(record));
    void this.removeRetiredQueues();
  }

  /** Whether a queue has any of the keys every BullMQ queue with jobs or a scheduler has (no SCAN over a shared keyspace). */
  private async queueExists(name: string): Promise<boolean> {
    const keys = ['meta', 'id', 'wait', 'delayed', 'active', 'prioritized', 'paused', 'repeat', 'completed', 'failed', 'events'].map((key) => `${this.config.queuePrefix}:${name}:${key}`);
    return (await this.redis.exists(...keys)) > 0;
  }

  /** An upgrade from a release that queued a job per refresh leaves that queue in Redis: removed (best effort, at every start). */
  private async removeRetiredQueues(): Promise<void> {
    for (const name of RETIRED_QUEUES) {
      try {
        if (!(await this.queueExists(name))) continue;
        await obliterateQueue(this.redis, this.config.queuePrefix, name);
        this.logger.log(`removed the retired queue ${name} and its jobs (the refresh schedule is in the database now)`);
      } catch (error) {
        // Two token-refreshers starting together: the other one removed it meanwhile.
        if (!(await this.queueExists(name).catch(() => true))) continue;
        this.logger.warn(`the retired queue ${name} could not be removed (tried again at the next start): ${(error as Error).message}`);
      }
    }
  }

  /** Before Redis and the database close: no new refresh, the ones in flight finish (their locks are released). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    // The outcomes of the last refreshes, still in memory.
    await this.history.flush();
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
    this.logger[refreshOutcomeLevel(record.outcome)](line);
  }
}
