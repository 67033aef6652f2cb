import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sqlDialect } from '@flow-oauth/persistence';
import { DataSource } from 'typeorm';
import { CONNECTOR_LOCK_TTL_MS, LockTimeoutError } from './connector-lock';
import { ConnectorSql } from './connector-sql';
import { StaleTokenWriteError } from './connector-token-store';
import { refreshFailureKind, refreshHistoryOutcome, refreshOutcomeKind } from './refresh-outcome-kind';
import type { RefreshBacklog, RefreshOutcomeLabel } from '@flow-oauth/observability';
import { refreshRetryDelay } from './refresh-schedule';
import { REFRESH_RETRY, TokenRefreshService } from './token-refresh.service';

/** How often an idle loop looks for due connectors (and at most how late a due refresh starts). */
export const DUE_POLL_MS = 250;
/** How long a connector whose lock another process holds is left alone before this process tries it again. */
const LOCK_BUSY_WAIT_MS = 1000;
/** How long a connector whose failure could not even be recorded waits here before the next try. */
const STORAGE_WAIT_MS = 2000;
/**
 * How long a claim keeps other processes off a connector this one started: as long as a connector
 * lock lives without its holder, so a killed process's connectors are free again as soon as their locks.
 */
export const REFRESH_CLAIM_MS = CONNECTOR_LOCK_TTL_MS;
/**
 * A claim ending further ahead than this is not held (ConnectorSql.claim): none is set so far
 * ahead, so its writer's clock runs ahead of this process's; ignored, it costs only the lock
 * contention that claims avoid. A clock running behind writes claims that look expired: the same.
 */
export const REFRESH_CLAIM_HORIZON_MS = 2 * REFRESH_CLAIM_MS;

interface Claim {
  until: string;
  ms: number;
  moving?: Promise<unknown>;
}

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
  /** From the connector's due time to the end of this attempt; first attempts only (a retry waits on purpose). */
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
 * Several processes share the work: each claims the due connectors it starts (refresh_claimed_until,
 * one guarded UPDATE per read, REFRESH_CLAIM_MS) and reads only those nobody has claimed, so they
 * do not read, lock and skip the same head of the range. The claim only divides the work; what
 * keeps a connector from being refreshed twice is still the connector lock (taken without
 * waiting: a connector another refresh holds is left to it) and the token-version guard on every write.
 *
 * Hand-written rather than one BullMQ job per refresh: bench/refresh measured the job's own Redis
 * scripts (fetch, complete, add the next one) as the largest part of a refresh's cost, and the
 * schedule already lived in an indexed column (next_refresh_at), which nothing in Redis can lose.
 */
@Injectable()
export class DueRefreshLoop {
  private readonly logger = new Logger('DueRefresh');
  private readonly sql: string;
  private readonly backlogSql: string;
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * The claim each refresh in flight holds (its end as written, and in ms): extended while the
   * refresh runs. `moving`: the extension's statement, which a later move or end waits for (on
   * PostgreSQL two statements may run on two connections, in either order).
   */
  private readonly claims = new Map<string, Claim>();
  /** Connectors left alone here until a time (lock held elsewhere, storage refused). */
  private readonly waiting = new Map<string, number>();
  /** Storage failures in a row per connector (their waits double: 2 s, 4 s ... at most a minute); dropped on any other outcome. */
  private readonly storageFailures = new Map<string, number>();
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
    // Walks the index on COALESCE(refresh_retry_at, next_refresh_at) (migration RefreshRetries; the
    // expression must read exactly so for the planner to use it): when a connector may be tried next.
    // A connector waiting for its retry sits at its retry time, not at the head of the range.
    const next = 'COALESCE(refresh_retry_at, next_refresh_at)';
    const where =
      `WHERE ${next} <= ${p(1)} AND next_refresh_at <= ${p(2)} AND status IN ('active', 'refresh_failed') ` +
      `AND (refresh_claimed_until IS NULL OR refresh_claimed_until <= ${p(3)} OR refresh_claimed_until > ${p(4)}) ` +
      "AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.id = connectors.provider_id AND p.state = 'credentials_rejected') ";
    this.sql = `SELECT id, token_version AS "tokenVersion", next_refresh_at AS "nextRefreshAt", refresh_attempts AS "refreshAttempts" FROM connectors ${where}ORDER BY ${next} LIMIT ${p(5)}`;
    this.backlogSql = `SELECT COUNT(*) AS "due", MIN(${next}) AS "oldest" FROM connectors ${where}`;
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
    const now = Date.now();
    this.extendClaims(now);
    const free = this.config.refreshConcurrency - this.inFlight.size;
    if (free <= 0) return;
    for (const [id, until] of this.waiting) if (until <= now) this.waiting.delete(id);
    let rows: DueRow[];
    const nowIso = new Date(now).toISOString();
    const claimedUntil = new Date(now + REFRESH_CLAIM_MS).toISOString();
    // Unique to this pass (a timestamp alone could be another attempt's): see RefreshOptions.claimMark. 31 characters.
    const claimMark = `${nowIso}#${randomBytes(3).toString('hex')}`;
    try {
      // What nobody holds a claim on. This process's own connectors may come back: those it waits for
      // (their claim moved to their time, or ended) and those in flight whose claim lapsed (not
      // extended in time, or lost); the limit counts them, so they never crowd out the others, and
      // only them: every row read costs, and the claimed ones are not read. Should more of its own
      // come back than it knew of (a claim lapsed unseen), it reads once more with room for all.
      let lapsed = 0;
      for (const id of this.inFlight.keys()) if ((this.claims.get(id)?.ms ?? 0) <= now) lapsed += 1;
      const mine = (row: DueRow) => this.inFlight.has(row.id) || this.waiting.has(row.id);
      const limit = free + this.waiting.size + lapsed;
      let read = await this.readDue(now, limit);
      let due = read.filter((row) => !mine(row));
      if (due.length < free && read.length === limit && lapsed < this.inFlight.size) {
        read = await this.readDue(now, free + this.waiting.size + this.inFlight.size);
        due = read.filter((row) => !mine(row));
      }
      due = due.slice(0, free);
      const claimed = await ConnectorSql.of(this.dataSource).claim(
        due.map((row) => row.id),
        { now: nowIso, until: claimedUntil, horizon: new Date(now + REFRESH_CLAIM_HORIZON_MS).toISOString(), mark: claimMark },
      );
      rows = due.filter((row) => claimed.has(row.id));
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
      // Stopped meanwhile: the claims of those not started expire within REFRESH_CLAIM_MS.
      if (started >= free || !this.running) break;
      started += 1;
      this.claims.set(row.id, { until: claimedUntil, ms: now + REFRESH_CLAIM_MS });
      const work = this.refresh(row, claimMark).finally(() => {
        this.inFlight.delete(row.id);
        this.claims.delete(row.id);
        // Refill when a quarter of the slots are free, or the last one ended: one read for several slots.
        if (this.config.refreshConcurrency - this.inFlight.size >= Math.max(1, this.config.refreshConcurrency >> 2) || this.inFlight.size === 0) this.wake();
      });
      this.inFlight.set(row.id, work);
    }
  }

  /**
   * The connectors due at `now` (ms) and not waiting for a retry, the longest waiting first, at most
   * `limit`: one statement that walks the index on when each may be tried next from its start to
   * `now`, so its cost follows what is due, not the number of connectors nor of those waiting.
   */
  async readDue(now: number, limit: number): Promise<DueRow[]> {
    const rows = (await this.dataSource.query(this.sql, [...this.dueParams(now), limit])) as DueRow[];
    return rows.map((row) => ({ ...row, tokenVersion: Number(row.tokenVersion), refreshAttempts: Number(row.refreshAttempts) }));
  }

  /**
   * The backlog: connectors due at `now` (ms) that no refresh has started (nobody holds a claim on
   * them), and since when the longest-waiting of them may be tried (ms; undefined with none). The
   * same range as readDue's, counted: its cost follows the backlog, not the table (for /metrics).
   */
  async backlog(now: number): Promise<RefreshBacklog> {
    const [row] = (await this.dataSource.query(this.backlogSql, this.dueParams(now))) as Array<{ due: number | string; oldest: string | null }>;
    const oldest = row?.oldest ? Date.parse(row.oldest) : Number.NaN;
    return { due: Number(row?.due ?? 0), oldestMs: Number.isFinite(oldest) ? oldest : undefined };
  }

  /** The values of the due range's placeholders (the WHERE that readDue and backlog share), in their order. */
  private dueParams(now: number): [string, string, string, string] {
    const at = new Date(now).toISOString();
    return [at, at, at, new Date(now + REFRESH_CLAIM_HORIZON_MS).toISOString()];
  }

  /** The statement readDue runs (its plan is checked by the tests). */
  get dueSql(): string {
    return this.sql;
  }

  /**
   * Holds the claims of refreshes still running past half their claim (a slow provider, a lock wait)
   * for another REFRESH_CLAIM_MS, so no other process reads them as free and tries their lock in
   * vain. Best effort, one statement per such refresh (few: a refresh takes milliseconds): a claim
   * that is lost or not extended costs only that vain try, never a second refresh.
   */
  private extendClaims(now: number): void {
    for (const [id, claim] of this.claims) {
      if (claim.ms - now > REFRESH_CLAIM_MS / 2) continue;
      const next: Claim = { until: new Date(now + REFRESH_CLAIM_MS).toISOString(), ms: now + REFRESH_CLAIM_MS };
      // Taken as moved at once: one statement per claim per half its life, never one per poll.
      this.claims.set(id, next);
      next.moving = ConnectorSql.of(this.dataSource)
        .moveClaim(id, claim.until, next.until)
        .then(
          (held) => {
            // Lost (it lapsed and another process claimed it): counted as lapsed by the next read.
            if (!held && this.claims.get(id) === next) this.claims.delete(id);
          },
          () => {
            // Not moved: the claim is what it was (and lapses then), for this map and for a move waiting on this one.
            next.until = claim.until;
            next.ms = claim.ms;
          },
        );
    }
  }

  /**
   * Leaves a connector alone here until `until`. With `hold`, this process's claim moves to then (its
   * lock is busy: whoever holds it is refreshing it, and nobody else need try before); otherwise the
   * claim ends, and any other process may try it at once (this one failed for a reason of its own:
   * its Redis or its database connection refused, which need not hold for the others).
   */
  private waitUntil(row: DueRow, until: number, hold: boolean): void {
    this.waiting.set(row.id, until);
    const claim = this.claims.get(row.id);
    this.claims.delete(row.id);
    if (claim === undefined) return;
    // After an extension still on its way (else it could land after this and hold the connector).
    // Best effort: a claim left as it was ends within REFRESH_CLAIM_MS anyway.
    void Promise.resolve(claim.moving)
      // claim.until as the extension left it (moved, or not).
      .then(() => ConnectorSql.of(this.dataSource).moveClaim(row.id, claim.until, hold ? new Date(until).toISOString() : null))
      .catch(() => undefined);
  }

  private async refresh(row: DueRow, claimMark: string): Promise<void> {
    const started = Date.now();
    const due = Date.parse(row.nextRefreshAt);
    const measure = (outcome: RefreshOutcomeLabel, detail?: string, skipped?: boolean): RefreshRecord => {
      const end = Date.now();
      // A retry is late on purpose (its backoff): only a first attempt's lag says how far behind the loop is.
      const lagMs = Number.isFinite(due) && row.refreshAttempts === 0 ? end - due : undefined;
      return { connectorId: row.id, outcome, durationMs: end - started, lagMs, attempt: row.refreshAttempts + 1, detail, ...(skipped ? { skipped } : {}) };
    };
    try {
      const outcome = await this.refresher.refreshConnector(row.id, 'if-due', { lockWaitMs: 0, background: true, claimMark });
      const detail = outcome.status === 'credentials_rejected' ? `${outcome.provider.type}/${outcome.provider.provider}: ${outcome.provider.rejectedError ?? 'invalid_client'}` : undefined;
      this.record(measure(refreshOutcomeKind(outcome), detail, refreshHistoryOutcome(outcome) === 'skipped'));
      this.storageFailures.delete(row.id);
      // Paused until a load fixes the provider (which clears the wait): off the head of the due range meanwhile.
      if (outcome.status === 'credentials_rejected') await this.refresher.parkWhileRejected(row).catch((e: Error) => this.logger.warn(`connector ${row.id} not parked: ${e.message}`));
    } catch (error) {
      if (error instanceof LockTimeoutError) {
        // Another process (or a token request) is refreshing it now; it is not due any more once that ends.
        this.waitUntil(row, Date.now() + LOCK_BUSY_WAIT_MS, true);
        return;
      }
      this.record(measure(refreshFailureKind(error), error instanceof Error ? error.message : undefined));
      if (error instanceof StaleTokenWriteError) return;
      try {
        const retry = await this.refresher.recordBackgroundFailure(row, error);
        if (retry === 'soon') {
          const failures = (this.storageFailures.get(row.id) ?? 0) + 1;
          this.storageFailures.set(row.id, failures);
          this.waitUntil(row, Date.now() + refreshRetryDelay(failures, error, REFRESH_RETRY.delayMs, 0.5), false);
        } else this.storageFailures.delete(row.id);
      } catch (e) {
        this.waitUntil(row, Date.now() + STORAGE_WAIT_MS, false);
        this.logger.error(`the failed refresh of connector ${row.id} could not be recorded: ${(e as Error).message}`);
      }
    }
  }
}
