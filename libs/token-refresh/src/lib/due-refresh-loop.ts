import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sqlDialect } from '@flow-oauth/persistence';
import { DataSource } from 'typeorm';
import { LockTimeoutError } from './connector-lock';
import { StaleTokenWriteError } from './connector-token-store';
import { refreshFailureKind, refreshHistoryOutcome, refreshOutcomeKind } from './refresh-outcome-kind';
import type { RefreshOutcomeLabel } from '@flow-oauth/observability';
import { TokenRefreshService } from './token-refresh.service';

/** How often an idle loop looks for due connectors (and at most how late a due refresh starts). */
export const DUE_POLL_MS = 250;
/** How long a connector whose lock another process holds is left alone before this process tries it again. */
const LOCK_BUSY_WAIT_MS = 1000;
/** How long a connector whose refresh could not start or store (database, Redis) waits here before the next try. */
const STORAGE_WAIT_MS = 2000;

/** A due connector as the loop reads it. */
export interface DueRow {
  id: string;
  tokenVersion: number;
  /** ISO 8601 due time. */
  nextRefreshAt: string;
  refreshAttempts: number;
}

/** One background refresh, measured: what the metrics, the log line and the hourly history need. */
export interface RefreshRecord {
  connectorId: string;
  outcome: RefreshOutcomeLabel;
  /** From the refresh's start to its end. */
  durationMs: number;
  /** From the connector's due time to the end of this attempt. */
  lagMs: number | undefined;
  /** 1 for the first attempt at this token version, 2 after one failed, ... */
  attempt: number;
  /** The provider was not called (connector or provider already refused): the admin chart's `skipped`, not a failure. */
  skipped?: boolean;
  /** Secret-free reason of a failure. */
  detail?: string;
}

/**
 * The background refresh: each token-refresher process reads the connectors that are due (through
 * the next_refresh_at index, skipping those waiting for a retry and those of a provider whose
 * credentials are rejected) and refreshes up to REFRESH_CONCURRENCY of them at a time with THE
 * refresh function, refilling its slots as refreshes end. The schedule is the database: a
 * refreshed connector's next time is written with its tokens, a failed attempt's retry time and
 * count with its failure, so nothing is lost with Redis's data and no job per refresh is queued.
 * Several processes share the work through the connector lock (taken without waiting: a connector
 * another process is refreshing is left to it) and the token-version guard on every write.
 *
 * Hand-written rather than one BullMQ job per refresh: bench/refresh measured the job's own Redis
 * scripts (fetch, complete, add the next one) as the largest part of a refresh's cost, and the
 * schedule already has to live in an indexed column for the sweep that healed lost jobs.
 */
@Injectable()
export class DueRefreshLoop {
  private readonly logger = new Logger('DueRefresh');
  private readonly sql: string;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Connectors left alone here until a time (lock held elsewhere, storage refused). */
  private readonly waiting = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private passing = false;
  private passAgain = false;
  private running = false;
  private readFailedAt = 0;
  private record: (record: RefreshRecord) => void = () => undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly refresher: TokenRefreshService,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    const p = sqlDialect(dataSource).param;
    this.sql =
      'SELECT c.id, c.token_version AS "tokenVersion", c.next_refresh_at AS "nextRefreshAt", c.refresh_attempts AS "refreshAttempts" FROM connectors c ' +
      `WHERE c.next_refresh_at <= ${p(1)} AND c.status IN ('active', 'refresh_failed') ` +
      `AND (c.refresh_retry_at IS NULL OR c.refresh_retry_at <= ${p(2)}) ` +
      "AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.id = c.provider_id AND p.state = 'credentials_rejected') " +
      `ORDER BY c.next_refresh_at LIMIT ${p(3)}`;
  }

  /** Refreshes running now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Starts refreshing due connectors; `record` hears every attempt's outcome. */
  start(record: (record: RefreshRecord) => void): void {
    this.record = record;
    this.running = true;
    this.timer = setInterval(() => this.wake(), DUE_POLL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Takes no new refresh and waits for those in flight (their tokens are written, their locks released). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Looks for due connectors now (a load restored a provider's credentials, a refresh ended). */
  wake(): void {
    if (!this.running) return;
    if (this.passing) {
      this.passAgain = true;
      return;
    }
    this.passing = true;
    void this.pass().finally(() => {
      this.passing = false;
      if (this.passAgain) {
        this.passAgain = false;
        this.wake();
      }
    });
  }

  /** One read of due connectors, filling the free slots. */
  async pass(): Promise<void> {
    const free = this.config.refreshConcurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = Date.now();
    for (const [id, until] of this.waiting) if (until <= now) this.waiting.delete(id);
    let rows: DueRow[];
    try {
      rows = await this.readDue(now, free + this.inFlight.size + this.waiting.size);
    } catch (error) {
      // The database does not answer: the next poll tries again; say it when it starts, then once a minute, not four times a second.
      if (this.readFailedAt === 0 || now - this.readFailedAt > 60_000) {
        this.logger.error(`due connectors could not be read: ${(error as Error).message}`);
        this.readFailedAt = now;
      }
      return;
    }
    if (this.readFailedAt !== 0) this.logger.log('due connectors are read again');
    this.readFailedAt = 0;
    let started = 0;
    for (const row of rows) {
      if (started >= free || !this.running) break;
      if (this.inFlight.has(row.id) || this.waiting.has(row.id)) continue;
      started += 1;
      const work = this.refresh(row).finally(() => {
        this.inFlight.delete(row.id);
        // Refill when a quarter of the slots are free, or the last one ended: one read for several slots.
        if (this.config.refreshConcurrency - this.inFlight.size >= Math.max(1, this.config.refreshConcurrency >> 2) || this.inFlight.size === 0) this.wake();
      });
      this.inFlight.set(row.id, work);
    }
  }

  /**
   * The connectors due at `now` (ms), the longest overdue first, at most `limit`: one statement
   * that walks the next_refresh_at index from its start to `now`, so its cost follows what is due,
   * not the number of connectors.
   */
  async readDue(now: number, limit: number): Promise<DueRow[]> {
    const at = new Date(now).toISOString();
    const rows = (await this.dataSource.query(this.sql, [at, at, limit])) as DueRow[];
    return rows.map((row) => ({ ...row, tokenVersion: Number(row.tokenVersion), refreshAttempts: Number(row.refreshAttempts) }));
  }

  /** The statement readDue runs (its plan is checked by the tests). */
  get dueSql(): string {
    return this.sql;
  }

  private async refresh(row: DueRow): Promise<void> {
    const started = Date.now();
    const due = Date.parse(row.nextRefreshAt);
    const measure = (outcome: RefreshOutcomeLabel, detail?: string, skipped?: boolean): RefreshRecord => {
      const end = Date.now();
      return { connectorId: row.id, outcome, durationMs: end - started, lagMs: Number.isFinite(due) ? end - due : undefined, attempt: row.refreshAttempts + 1, detail, ...(skipped ? { skipped } : {}) };
    };
    try {
      const outcome = await this.refresher.refreshConnector(row.id, 'if-due', { lockWaitMs: 0, background: true });
      const detail = outcome.status === 'credentials_rejected' ? `${outcome.provider.type}/${outcome.provider.provider}: ${outcome.provider.rejectedError ?? 'invalid_client'}` : undefined;
      this.record(measure(refreshOutcomeKind(outcome), detail, refreshHistoryOutcome(outcome) === 'skipped'));
    } catch (error) {
      if (error instanceof LockTimeoutError) {
        // Another process (or a token request) is refreshing it now; it is not due any more once that ends.
        this.waiting.set(row.id, Date.now() + LOCK_BUSY_WAIT_MS);
        return;
      }
      this.record(measure(refreshFailureKind(error), error instanceof Error ? error.message : undefined));
      if (error instanceof StaleTokenWriteError) return;
      try {
        const retry = await this.refresher.recordBackgroundFailure(row, error);
        if (retry === 'soon') this.waiting.set(row.id, Date.now() + STORAGE_WAIT_MS);
      } catch (e) {
        this.waiting.set(row.id, Date.now() + STORAGE_WAIT_MS);
        this.logger.error(`the failed refresh of connector ${row.id} could not be recorded: ${(e as Error).message}`);
      }
    }
  }
}
