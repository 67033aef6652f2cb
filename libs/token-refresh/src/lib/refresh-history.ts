import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import type { RefreshOutcomeLabel } from '@flow-oauth/observability';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

const HOUR_MS = 3600 * 1000;
/** Hours kept: the 24 the admin page shows, plus the one being filled and a margin for clocks. */
const KEPT_HOURS = 26;
const WARNING_INTERVAL_MS = 60_000;

/** The outcomes the admin page's chart counts as failures: the provider refused, or the refresh could not be stored. */
const FAILED: ReadonlySet<RefreshOutcomeLabel> = new Set(['needs_reauth', 'credentials_rejected', 'provider_error', 'storage_error', 'error']);
const REFRESHED: ReadonlySet<RefreshOutcomeLabel> = new Set(['refreshed', 'recovered_pending']);

/** What the hourly history counts: a refresh outcome, or `skipped` (the provider was not called: the connector or provider was already refused). */
export type HistoryOutcome = RefreshOutcomeLabel | 'skipped';

/** Refresh outcomes of one clock hour, across every process of the deployment. */
export interface HourlyRefreshCounts {
  /** ISO 8601 start of the hour (UTC). */
  hourStart: string;
  /** New tokens written (`refreshed`, `recovered_pending`). */
  refreshed: number;
  /** `needs_reauth`, `credentials_rejected`, `provider_error`, `storage_error`, `error`. */
  failed: number;
  /** Every outcome by its metric label (including those neither refreshed nor failed: `fresh`, `lock_busy`, `skipped` ...). */
  byOutcome: Partial<Record<HistoryOutcome, number>>;
}

/**
 * Refresh outcomes per hour, kept for a day, shared by every process: what the admin page's chart
 * draws. (The Prometheus counters live in each process and are gone at its restart; the database
 * keeps no refresh history.) Recorded at the same two places as the metrics: the token-refresher's
 * outcome hook and the token API's on-demand refresh. An abstract class, so a PostgreSQL-only
 * deployment can keep it elsewhere than Redis.
 */
export abstract class RefreshHistory {
  /** Counts one refresh outcome. Never throws and never makes the caller wait: a lost count is only a chart. */
  abstract record(outcome: HistoryOutcome, at?: Date): void;
  /** The last `hours` clock hours up to the current one, oldest first, each with its counts (zero when nothing happened). */
  abstract lastHours(hours: number, now?: Date): Promise<HourlyRefreshCounts[]>;
}

/** RefreshHistory in Redis: one hash per hour (field = outcome label), expiring after a day. */
@Injectable()
export class RedisRefreshHistory extends RefreshHistory {
  private readonly logger = new Logger('RefreshHistory');
  private lastWarning = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  record(outcome: HistoryOutcome, at: Date = new Date()): void {
    const key = this.key(Math.floor(at.getTime() / HOUR_MS));
    this.redis
      .multi()
      .hincrby(key, outcome, 1)
      .expire(key, KEPT_HOURS * 3600)
      .exec()
      .catch((error: Error) => {
        if (Date.now() - this.lastWarning < WARNING_INTERVAL_MS) return;
        this.lastWarning = Date.now();
        this.logger.warn(`refresh outcome not counted in the hourly history (Redis: ${error.name}); the admin page's chart misses it`);
      });
  }

  async lastHours(hours: number, now: Date = new Date()): Promise<HourlyRefreshCounts[]> {
    const current = Math.floor(now.getTime() / HOUR_MS);
    const indexes = Array.from({ length: hours }, (_, i) => current - hours + 1 + i);
    const pipeline = this.redis.pipeline();
    for (const index of indexes) pipeline.hgetall(this.key(index));
    const answers = (await pipeline.exec()) ?? [];
    return indexes.map((index, i) => {
      const [error, value] = answers[i] ?? [null, {}];
      if (error) throw error;
      const byOutcome: Partial<Record<HistoryOutcome, number>> = {};
      for (const [outcome, count] of Object.entries((value ?? {}) as Record<string, string>)) byOutcome[outcome as HistoryOutcome] = Number(count);
      return { hourStart: new Date(index * HOUR_MS).toISOString(), ...summarise(byOutcome), byOutcome };
    });
  }

  private key(hourIndex: number): string {
    return `${this.config.queuePrefix}:refresh-history:${hourIndex}`;
  }
}

/** Refreshed and failed counts of a set of outcome counts. */
export function summarise(byOutcome: Partial<Record<HistoryOutcome, number>>): { refreshed: number; failed: number } {
  let refreshed = 0;
  let failed = 0;
  for (const [outcome, count] of Object.entries(byOutcome) as Array<[RefreshOutcomeLabel, number]>) {
    if (REFRESHED.has(outcome)) refreshed += count;
    else if (FAILED.has(outcome)) failed += count;
  }
  return { refreshed, failed };
}
