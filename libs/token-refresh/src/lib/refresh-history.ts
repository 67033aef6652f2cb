import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import type { RefreshOutcomeLabel } from '@flow-oauth/observability';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

const HOUR_MS = 3600 * 1000;
/** Hours kept: the 24 the admin page shows, plus the one being filled and a margin for clocks. */
const KEPT_HOURS = 26;
const WARNING_INTERVAL_MS = 60_000;
/**
 * Counts are summed in memory and written at most this often (one MULTI for everything recorded
 * meanwhile): a round trip per refresh was a tenth of token-refresher's CPU time in bench/refresh.
 */
export const HISTORY_FLUSH_MS = 200;

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
  /** Writes counts still held in memory, if the implementation holds any (a graceful stop calls it). */
  async flush(): Promise<void> {
    return undefined;
  }
}

/**
 * RefreshHistory in Redis: one hash per hour (field = outcome label), expiring after a day. Counts
 * wait in memory for at most HISTORY_FLUSH_MS (a process killed meanwhile loses them: only a chart).
 */
@Injectable()
export class RedisRefreshHistory extends RefreshHistory implements BeforeApplicationShutdown {
  private readonly logger = new Logger('RefreshHistory');
  private lastWarning = 0;
  /** Counts not yet written: hour index -> outcome -> count. */
  private unsent = new Map<number, Map<HistoryOutcome, number>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  record(outcome: HistoryOutcome, at: Date = new Date()): void {
    const hour = Math.floor(at.getTime() / HOUR_MS);
    let counts = this.unsent.get(hour);
    if (!counts) this.unsent.set(hour, (counts = new Map()));
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), HISTORY_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes the counts recorded so far (never throws: a lost count is only a chart). */
  override async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unsent.size === 0) return;
    const unsent = this.unsent;
    this.unsent = new Map();
    const multi = this.redis.multi();
    for (const [hour, counts] of unsent) {
      const key = this.key(hour);
      for (const [outcome, count] of counts) multi.hincrby(key, outcome, count);
      multi.expire(key, KEPT_HOURS * 3600);
    }
    await multi.exec().then(
      () => undefined,
      (error: Error) => {
        if (Date.now() - this.lastWarning < WARNING_INTERVAL_MS) return;
        this.lastWarning = Date.now();
        this.logger.warn(`refresh outcomes not counted in the hourly history (Redis: ${error.name}); the admin page's chart misses them`);
      },
    );
  }

  /** A graceful stop writes what is left, before the Redis connection closes (at onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  async lastHours(hours: number, now: Date = new Date()): Promise<HourlyRefreshCounts[]> {
    // This process's own counts first, so what it just recorded is in the answer.
    await this.flush();
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
