import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { RefreshMetrics } from '@flow-oauth/observability';
import { DueRefreshLoop, type RefreshRecord, RefreshHistory } from '@flow-oauth/token-refresh';

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
  ) {
    metrics.trackInFlight(() => loop.inFlightCount);
  }

  onApplicationBootstrap(): void {
    this.loop.start((record) => this.recordOutcome(record));
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
    switch (record.outcome) {
      case 'refreshed':
      case 'fresh':
      case 'not_refreshable':
      case 'missing':
      case 'recovered_pending':
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
}
