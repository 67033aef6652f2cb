import { Global, Injectable, Logger, Module } from '@nestjs/common';
import { withDeadline } from '@flow-oauth/deadline';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A scrape must answer while the database is slow or gone. */
const SCRAPE_TIMEOUT_MS = 2000;

/** How one refresh attempt ended: the `outcome` label of the refresh metrics. */
/**
 * - refreshed / recovered_pending (a token set kept from a refresh whose database write had failed);
 * - fresh, not_refreshable, needs_reauth, credentials_rejected, missing (no call to the provider,
 *   or the provider refused for good);
 * - provider_error (network, 5xx, 429: retried), storage_error (the database refused a write:
 *   retried within seconds), provider_changed (a load replaced the credentials the provider just
 *   refused: retried within seconds), lock_busy, stale (tokens purged meanwhile), error.
 */
export const REFRESH_OUTCOMES = [
  'refreshed',
  'recovered_pending',
  'fresh',
  'not_refreshable',
  'needs_reauth',
  'credentials_rejected',
  'missing',
  'provider_error',
  'storage_error',
  'provider_changed',
  'lock_busy',
  'stale',
  'error',
] as const;
export type RefreshOutcomeLabel = (typeof REFRESH_OUTCOMES)[number];

/** The background refresh's backlog: connectors due and not started, and since when (ms) the longest-waiting one is due. */
export interface RefreshBacklog {
  due: number;
  oldestMs: number | undefined;
}

/**
 * Refresh outcomes by kind, how long each refresh took, and how late it started after it was due.
 * The refresh pipeline calls `recordOutcome` once per refresh, wherever it knows all three.
 */
@Injectable()
export class RefreshMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private readonly duration: Histogram<'outcome'>;
  private readonly lag: Histogram;
  private inFlight?: () => number;

  constructor(private readonly registry: Registry) {
    const inFlight = (): number | undefined => this.inFlight?.();
    new Gauge({
      name: 'flow_refresh_in_flight',
      help: 'Background refreshes this token-refresher process is running now (at most REFRESH_CONCURRENCY)',
      registers: [registry],
      collect() {
        const n = inFlight();
        if (n !== undefined) this.set(n);
      },
    });
    this.outcomes = new Counter({
      name: 'flow_refresh_outcomes_total',
      help: 'Token refreshes by outcome (REFRESH_OUTCOMES: refreshed, recovered_pending, fresh, needs_reauth, credentials_rejected, provider_error, storage_error, ...)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'flow_refresh_duration_seconds',
      help: 'Time one refresh took (lock, read, provider call, seal, write), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.lag = new Histogram({
      name: 'flow_refresh_lag_seconds',
      help: 'How long after its due time a scheduled refresh ended (first attempts only)',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    });
    // Every outcome from zero, so rate() and alerts work before the first of its kind happens.
    for (const outcome of REFRESH_OUTCOMES) this.outcomes.inc({ outcome }, 0);
  }

  /** Where flow_refresh_in_flight is read from (token-refresher's due-refresh loop). */
  trackInFlight(read: () => number): void {
    this.inFlight = read;
  }

  /**
   * Where the background refresh's backlog is read from at each scrape (token-refresher): the
   * connectors due now that no refresh has started, and how long the longest-waiting of them has
   * waited. Every token-refresher reports the same deployment-wide figures (take the max).
   */
  trackBacklog(read: () => Promise<RefreshBacklog>): void {
    const logger = new Logger('RefreshMetrics');
    // One read serves both gauges of a scrape; a read still running (a slow database) serves the
    // next scrapes too, rather than another COUNT piling up behind it.
    let running: Promise<RefreshBacklog> | undefined;
    let warnedAt = 0;
    const once = async () => {
      running ??= read().finally(() => setTimeout(() => (running = undefined), 0));
      try {
        return await withDeadline(running, SCRAPE_TIMEOUT_MS);
      } catch (error) {
        // NaN, not 0: an unknown backlog must not look like none (an alert on it stays quiet either way, the log says why).
        if (Date.now() - warnedAt > 60_000) {
          warnedAt = Date.now();
          logger.warn(`the refresh backlog was not counted for /metrics: ${(error as Error).message}`);
        }
        return undefined;
      }
    };
    const registers = [this.registry];
    const gauge = (name: string, help: string, value: (backlog: RefreshBacklog) => number) =>
      new Gauge({
        name,
        help: `${help}, read at scrape time; NaN when it could not be read`,
        registers,
        async collect() {
          const backlog = await once();
          this.set(backlog ? value(backlog) : Number.NaN);
        },
      });
    gauge('flow_refresh_due_connectors', 'Connectors due for a background refresh now that no refresher has started yet (deployment-wide)', (backlog) => backlog.due);
    gauge('flow_refresh_oldest_due_seconds', 'How long the longest-waiting of those due connectors has been due (0 with none)', (backlog) =>
      backlog.oldestMs === undefined ? 0 : Math.max(0, (Date.now() - backlog.oldestMs) / 1000),
    );
  }

  /** Counts one refresh; `lagSeconds` only for scheduled refreshes (the on-demand ones have no due time). */
  recordOutcome(outcome: RefreshOutcomeLabel, durationSeconds: number, lagSeconds?: number): void {
    this.outcomes.inc({ outcome });
    this.duration.observe({ outcome }, Math.max(0, durationSeconds));
    if (lagSeconds !== undefined) this.lag.observe(Math.max(0, lagSeconds));
  }
}

/** Registers RefreshMetrics in a process that refreshes tokens (token-refresher, flow-oauth-server's token API). */
@Global()
@Module({ providers: [RefreshMetrics], exports: [RefreshMetrics] })
export class RefreshMetricsModule {}
