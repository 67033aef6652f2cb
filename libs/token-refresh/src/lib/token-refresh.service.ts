import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { emitEvent, FLOW_EVENTS_CLIENT } from '@flow-oauth/messaging';
import { OAuthClient, OAuthProtocolError, type TokenSet } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { definitionRefreshes, type LoadedProvider, ProviderCredentialsState, ProviderReader } from '@flow-oauth/provider-reader';
import { FlowEvent } from '@flow-oauth/queue-contracts';
import type { ClientProxy } from '@nestjs/microservices';
import { DataSource, In } from 'typeorm';
import { ConnectorLock } from './connector-lock';
import { ConnectorSql } from './connector-sql';
import { ConnectorTokenStore, type PendingTokenSet, StaleTokenWriteError } from './connector-token-store';
import { PendingTokenStore } from './pending-token-store';
import { ProviderChangedError, RefreshStorageError } from './refresh-errors';
import { RefreshProviders } from './refresh-providers';
import { reauthDue } from './grant-lifetime';
import { connectorDueAt, isRetrySoon, refreshRetryDelay } from './refresh-schedule';
import { WriteBackoff } from './write-backoff';

export type RefreshMode = 'if-due' | 'force';

/** A provider whose credentials are rejected, as a refresh outcome names it (no secret). */
export interface RejectedProvider {
  type: string;
  provider: string;
  rejectedAt: string | null;
  rejectedError: string | null;
}

export type RefreshOutcome =
  /** `pending`: the token set came from an earlier refresh whose database write had failed; the provider was not called. */
  | { status: 'refreshed'; connector: ConnectorEntity; source: 'provider' | 'pending' }
  | { status: 'fresh'; connector: ConnectorEntity }
  | { status: 'not_refreshable'; connector: ConnectorEntity; reason: string }
  /** `skipped`: the connector already needed its user; the provider was not called. */
  | { status: 'needs_reauth'; connector: ConnectorEntity; reason: string; skipped?: true }
  /** The provider refuses Flow's client credentials: refreshes of its connectors are paused, tokens and status kept. `skipped`: it was already marked so; the provider was not called. */
  | { status: 'credentials_rejected'; connector: ConnectorEntity; provider: RejectedProvider; skipped?: true }
  | { status: 'missing' };

export interface RefreshOptions {
  /** How long to wait for another refresh of the same connector; 0 gives up at once (LockTimeoutError). */
  lockWaitMs?: number;
  /**
   * A background refresh (DueRefreshLoop): the provider may be one this process read up to a second
   * ago (RefreshProviders). Otherwise (the token API, a health check) the provider is read now: a
   * load's change shows at once there.
   */
  background?: boolean;
  /**
   * The mark the due-refresh loop's claim wrote into refresh_started_at when it was empty (see
   * ConnectorSql.claim). Found there under the lock, it says that no earlier attempt of this token
   * version reached the provider (such an attempt marks it first, and the claim does not overwrite
   * a mark), so no answer can be kept from one, and that the database took a write moments ago:
   * the refresh then neither looks in the pending store nor writes the mark again. Nothing is lost
   * with that write's version check: tokens that move on while the provider is asked (a reconnect,
   * a purge), before or after that write would have run, are caught by the guarded token write and
   * by the version-guarded needs_reauth (markNeedsReauth).
   */
  claimMark?: string;
}

/** Background refresh retries after a provider failure: 30 s doubled per attempt (with jitter), at most an hour; refresh_failed after this many in a row. */
export const REFRESH_RETRY = { attempts: 8, delayMs: 30_000, jitter: 0.5, maxDelayMs: 3_600_000 } as const;

/**
 * THE refresh function, used by the background worker and the on-demand token API alike: takes the
 * connector's lock, re-reads it (someone may have just refreshed), refreshes at the provider and
 * persists the new access token and any rotated refresh token in one write, then schedules the next
 * refresh. No token set a provider issued is lost:
 * 1. before calling the provider, a guarded write on the connector row proves the database takes
 *    writes (and marks the refresh as started); if it does not, the provider is not called;
 * 2. the provider's answer is first kept sealed in the pending store, keyed by connector and the
 *    token version it replaces, then written to the database, then the pending copy is dropped;
 * 3. any later refresh (worker retry, token API, sweep) that finds a pending set for the version it
 *    read writes that set instead of calling the provider with a refresh token it may have rotated.
 * What remains: a crash between the provider's answer and the pending copy (milliseconds), or
 * Redis and the database both refusing the answer, lose that token set.
 * Transient provider failures are thrown for the caller to retry.
 */
@Injectable()
export class TokenRefreshService {
  private readonly logger = new Logger('TokenRefresh');
  /** Shared by the worker and the token API of this process: one refused write pauses both. */
  private readonly writes = new WriteBackoff();
  private get sql(): ConnectorSql {
    return ConnectorSql.of(this.dataSource);
  }

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderReader,
    private readonly refreshProviders: RefreshProviders,
    private readonly providerState: ProviderCredentialsState,
    private readonly lock: ConnectorLock,
    private readonly tokens: ConnectorTokenStore,
    private readonly pending: PendingTokenStore,
    private readonly oauth: OAuthClient,
    @Inject(FLOW_EVENTS_CLIENT) private readonly events: ClientProxy,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
    private readonly activity: ActivityRecorder,
  ) {}

  /** True when the connector's access token is due for refresh (its next refresh time has come). */
  isDue(connector: Pick<ConnectorEntity, 'expiresAt' | 'updatedAt'> & { nextRefreshAt?: string | null }, now = Date.now()): boolean {
    return now >= connectorDueAt(connector, this.config.refreshMarginSeconds);
  }

  /** Refreshes a connector's tokens (if due, or always with 'force'). */
  async refreshConnector(connectorId: string, mode: RefreshMode = 'if-due', options: RefreshOptions = {}): Promise<RefreshOutcome> {
    return this.lock.withLock(connectorId, () => this.refreshLocked(connectorId, mode, options.background === true, options.claimMark), { waitMs: options.lockWaitMs });
  }

  private async refreshLocked(connectorId: string, mode: RefreshMode, background: boolean, claimMark?: string): Promise<RefreshOutcome> {
    const repo = this.dataSource.getRepository(ConnectorEntity);
    const connector = await beforeProvider(connectorId, () => this.sql.findById(this.dataSource.manager, connectorId));
    if (!connector) return { status: 'missing' };
    if (connector.status === 'needs_reauth') return { status: 'needs_reauth', connector, reason: connector.lastError ?? 'sign-in required', skipped: true };
    // A token set an earlier refresh obtained but could not store: write it, whatever else holds.
    // Only a refresh that reached the provider can have left one, and it first marked this very token
    // version started (refresh_started_at, which every token write clears as it bumps the version):
    // with no mark there is nothing to look for, and no Redis round trip.
    // The due-refresh loop's own claim mark: this version was never started before (RefreshOptions.claimMark).
    const markedByClaim = claimMark !== undefined && connector.refreshStartedAt === claimMark;
    const kept = connector.refreshStartedAt && !markedByClaim ? await beforeProvider(connectorId, () => this.pending.get(connector.id, connector.tokenVersion)) : undefined;
    const keptAnswer = kept === undefined ? undefined : await this.openKept(connector, kept);
    if (keptAnswer) return this.writePending(connector, keptAnswer);
    if (mode === 'if-due' && !this.isDue(connector)) return { status: 'fresh', connector };
    const provider = await beforeProvider(connectorId, () => (background ? this.refreshProviders.findById(connector.providerId) : this.providers.findById(connector.providerId)));
    if (!provider) return this.markNeedsReauth(connector, 'provider_deleted');
    if (!definitionRefreshes(provider.definition)) return this.leaveSchedule(connector);
    if (provider.state === 'credentials_rejected') return { status: 'credentials_rejected', connector, provider: rejected(provider), skipped: true };
    const refreshToken = this.tokens.openRefreshToken(connector);
    if (!refreshToken) return this.markNeedsReauth(connector, 'no_refresh_token');
    if (markedByClaim) this.skipWhilePaused(connector.id, 'before');
    else await this.markStarted(connector);
    let answer: PendingTokenSet;
    try {
      const tokens = await this.oauth.refresh(provider, {
        refreshToken,
        connectionParams: JSON.parse(connector.params) as Record<string, string>,
        scope: connector.scope ?? undefined,
      });
      answer = { tokens, obtainedAt: new Date() };
    } catch (error) {
      if (error instanceof OAuthProtocolError && error.kind === 'invalid_grant') return this.markNeedsReauth(connector, 'invalid_grant');
      if (error instanceof OAuthProtocolError && error.kind === 'invalid_client') return this.rejectCredentials(connector, provider, error);
      await repo.update({ id: connector.id }, { lastError: describe(error) }).catch(() => undefined);
      throw error;
    }
    const keptInStore = await this.keepPending(connector, answer);
    const updated = await this.writeTokens(connector, answer, refreshToken, keptInStore, { provider });
    return { status: 'refreshed', connector: updated, source: 'provider' };
  }

  /**
   * Records a failed background attempt (DueRefreshLoop) and says when the next may run: 'soon'
   * when the provider was not the cause (the database or Redis refused; nothing was asked of it, or
   * its answer waits in the pending store): the loop tries again within seconds and nothing is
   * written. Otherwise the attempt is counted on the row with the time of the next one (the
   * provider's Retry-After when it gave one, else REFRESH_RETRY's backoff), guarded by the token
   * version read; after REFRESH_RETRY.attempts in a row the connector shows refresh_failed and
   * keeps being tried, at most an hour apart, until a refresh succeeds.
   */
  async recordBackgroundFailure(row: { id: string; tokenVersion: number; refreshAttempts: number }, error: unknown): Promise<'soon' | 'later'> {
    if (isRetrySoon(error)) return 'soon';
    const attempts = row.refreshAttempts + 1;
    const retryAfterMs = error instanceof OAuthProtocolError && error.kind === 'transient' && error.retryAfterSeconds ? Math.min(error.retryAfterSeconds * 1000, REFRESH_RETRY.maxDelayMs) : undefined;
    const delay = retryAfterMs ?? refreshRetryDelay(attempts, error, REFRESH_RETRY.delayMs, REFRESH_RETRY.jitter, Math.random, REFRESH_RETRY.maxDelayMs);
    const failed = attempts >= REFRESH_RETRY.attempts;
    const values = { refreshAttempts: attempts, refreshRetryAt: new Date(Date.now() + delay).toISOString(), refreshClaimedUntil: null, lastError: describe(error) };
    const repo = this.dataSource.getRepository(ConnectorEntity);
    // Not over a status set meanwhile (a health check's needs_reauth does not bump the token version).
    await repo.update({ id: row.id, tokenVersion: row.tokenVersion, status: In(['active', 'refresh_failed']) }, values);
    if (failed && (await repo.update({ id: row.id, tokenVersion: row.tokenVersion, status: 'active' }, { status: 'refresh_failed' })).affected) {
      const connector = await repo.findOneBy({ id: row.id });
      if (connector) await this.activity.record({ kind: 'connector', type: 'connector.refresh_failed', actor: 'system', connector, data: { reason: connector.lastError } });
    }
    return 'later';
  }

  /**
   * A connector whose provider refuses Flow's credentials waits (not counted as a failed attempt)
   * until a load fixes the provider, which clears the wait of all its connectors; an hour at most,
   * should that load's clearing be missed.
   */
  async parkWhileRejected(row: { id: string; tokenVersion: number }): Promise<void> {
    // Unclaimed: a load that fixes the provider clears the wait, and any process may take it at once.
    await this.dataSource.getRepository(ConnectorEntity).update({ id: row.id, tokenVersion: row.tokenVersion }, { refreshRetryAt: new Date(Date.now() + REFRESH_RETRY.maxDelayMs).toISOString(), refreshClaimedUntil: null });
  }

  /**
   * THE token write for a token set a provider issued to a stored connector: a refresh, or a new
   * sign-in into the same connector (Reconnect: `newGrant`, which keeps no old refresh token).
   * Guarded by the token version read (StaleTokenWriteError otherwise); sets when the grant needs
   * its user again and makes a health check due; schedules the next refresh; a connector that was
   * not active (needs_reauth, refresh_failed) emits `connector.recovered`. Call it holding the
   * connector's lock (ConnectorLock), as the refresh does.
   */
  async writeTokenSet(connector: ConnectorEntity, tokens: TokenSet, options: { newGrant: boolean; obtainedAt?: Date }): Promise<ConnectorEntity> {
    const keep = options.newGrant ? null : this.tokens.openRefreshToken(connector);
    return this.writeTokens(connector, { tokens, obtainedAt: options.obtainedAt ?? new Date() }, keep, false, { newGrant: options.newGrant });
  }

  /**
   * Opens a kept token set. One that cannot be opened (sealed under a key this process does not
   * have, or damaged) can never be written: it is dropped, and the refresh goes on as if there were none.
   */
  private async openKept(connector: ConnectorEntity, sealed: string): Promise<PendingTokenSet | undefined> {
    try {
      return this.tokens.openPending(connector.id, connector.tokenVersion, sealed);
    } catch (error) {
      this.logger.error(`connector ${connector.id}: a kept token set cannot be opened (${(error as Error).message}); dropping it`);
      await this.dropPending(connector);
      return undefined;
    }
  }

  /** Writes a token set kept from an earlier refresh of this token version, without calling the provider. */
  private async writePending(connector: ConnectorEntity, answer: PendingTokenSet): Promise<RefreshOutcome> {
    const refreshToken = this.tokens.openRefreshToken(connector);
    const updated = await this.writeTokens(connector, answer, refreshToken, true);
    this.logger.warn(`connector ${connector.id}: stored the token set of an earlier refresh whose database write had failed (the provider was not called again)`);
    return { status: 'refreshed', connector: updated, source: 'pending' };
  }

  /**
   * Proves the database takes writes before the provider is asked (a rotating provider's answer
   * would otherwise have nowhere to go) and marks the refresh as started, in one guarded write.
   */
  private async markStarted(connector: ConnectorEntity): Promise<void> {
    this.skipWhilePaused(connector.id, 'before');
    let affected: number;
    try {
      affected = await this.sql.update(this.dataSource.manager, { refreshStartedAt: nowIso() }, { id: connector.id, tokenVersion: connector.tokenVersion });
    } catch (error) {
      this.writes.refused();
      throw new RefreshStorageError(connector.id, 'before', error);
    }
    this.writes.accepted();
    if (!affected) throw new StaleTokenWriteError(connector.id);
  }

  /** Fails a write at once while the database is known to refuse writes (see WriteBackoff). */
  private skipWhilePaused(connectorId: string, stage: 'before' | 'after'): void {
    if (this.writes.paused()) throw new RefreshStorageError(connectorId, stage, new Error('the database refused a write moments ago; not tried again yet'));
  }

  /** Keeps the provider's answer, sealed, until the database has it; false when the store cannot take it. */
  private async keepPending(connector: ConnectorEntity, answer: PendingTokenSet): Promise<boolean> {
    try {
      await this.pending.put(connector.id, connector.tokenVersion, this.tokens.sealPending(connector.id, connector.tokenVersion, answer));
      return true;
    } catch (error) {
      // The database write comes next anyway; only if it fails too is this token set lost.
      this.logger.error(`connector ${connector.id}: the refreshed tokens could not be kept in the pending store (${(error as Error).message}); writing them to the database directly`);
      return false;
    }
  }

  /** Writes a token set (guarded by the version it replaces), drops its pending copy, schedules the next refresh. */
  private async writeTokens(
    connector: ConnectorEntity,
    answer: PendingTokenSet,
    keepRefreshToken: string | null,
    pendingKept: boolean,
    options: { provider?: LoadedProvider; newGrant?: boolean } = {},
  ): Promise<ConnectorEntity> {
    // Skipped only when the answer is kept in the pending store: otherwise this write is its one chance.
    if (pendingKept) this.skipWhilePaused(connector.id, 'after');
    let updated: ConnectorEntity;
    let previousStatus: ConnectorEntity['status'];
    try {
      const grant = await this.grantColumns(connector, answer, keepRefreshToken, options);
      // One guarded UPDATE: atomic on its own, so no transaction (which SQLite would share process-wide).
      ({ connector: updated, previousStatus } = await this.tokens.writeTokenSet(this.dataSource.manager, connector, answer.tokens, keepRefreshToken, answer.obtainedAt, grant));
    } catch (error) {
      if (error instanceof StaleTokenWriteError) {
        // The tokens were purged or the connector deleted meanwhile: this answer has no home.
        if (pendingKept) await this.dropPending(connector);
        throw error;
      }
      this.writes.refused();
      throw new RefreshStorageError(connector.id, 'after', error);
    }
    this.writes.accepted();
    // The tokens are saved with their next refresh time (the schedule DueRefreshLoop reads): the pending copy goes.
    if (pendingKept) await this.dropPending(connector);
    if (previousStatus !== 'active') {
      this.logger.log(`connector ${connector.id} recovered (was ${previousStatus})`);
      await this.activity.record({ kind: 'connector', type: 'connector.recovered', actor: 'system', connector: updated, data: { previousStatus } });
    }
    return updated;
  }

  /** When the written grant needs its user again (see grant-lifetime.ts); the provider is read when the caller has not. */
  private async grantColumns(
    connector: ConnectorEntity,
    answer: PendingTokenSet,
    keepRefreshToken: string | null,
    options: { provider?: LoadedProvider; newGrant?: boolean },
  ): Promise<Partial<ConnectorEntity>> {
    const provider = options.provider ?? (await this.providers.findById(connector.providerId));
    const due = reauthDue({
      type: connector.type,
      parameters: provider?.parameters ?? {},
      refreshes: provider ? definitionRefreshes(provider.definition) : true,
      tokens: answer.tokens,
      obtainedAt: answer.obtainedAt,
      previous: options.newGrant
        ? undefined
        : { reauthDueAt: connector.reauthDueAt ?? null, reauthDueBasis: connector.reauthDueBasis ?? null, hasRefreshToken: keepRefreshToken !== null, grantedAt: connector.createdAt },
    });
    return { ...due };
  }

  private async dropPending(connector: ConnectorEntity): Promise<void> {
    // A copy left behind is harmless: it is keyed by a token version no refresh will read again, and expires.
    await this.pending.drop(connector.id, connector.tokenVersion).catch((e: Error) => this.logger.warn(`pending token set of ${connector.id} not dropped: ${e.message}`));
  }

  /**
   * invalid_client / unauthorized_client: the provider refuses the operator's app credentials. The
   * provider is marked credentials_rejected (its connectors keep status and tokens; their refreshes
   * pause) unless a load changed it while this refresh was at the provider: then try again.
   */
  private async rejectCredentials(connector: ConnectorEntity, provider: LoadedProvider, error: OAuthProtocolError): Promise<RefreshOutcome> {
    const code = error.providerError ?? 'invalid_client';
    if (!(await this.providerState.markRejected(provider, code))) {
      // The provider as it is now, not as this process remembers it.
      this.refreshProviders.forget(provider.id);
      const now = await this.refreshProviders.findById(provider.id);
      if (now?.state !== 'credentials_rejected') throw new ProviderChangedError(provider.id);
      return { status: 'credentials_rejected', connector, provider: rejected(now) };
    }
    return { status: 'credentials_rejected', connector, provider: { type: provider.type, provider: provider.name, rejectedAt: nowIso(), rejectedError: code } };
  }

  /** A connector of a provider that never refreshes leaves the schedule (the due-refresh loop stops reading it). */
  private async leaveSchedule(connector: ConnectorEntity): Promise<RefreshOutcome> {
    await this.dataSource.getRepository(ConnectorEntity).update({ id: connector.id, tokenVersion: connector.tokenVersion }, { nextRefreshAt: null, refreshRetryAt: null, refreshAttempts: 0 });
    return { status: 'not_refreshable', connector: { ...connector, nextRefreshAt: null }, reason: 'this connector type does not refresh tokens' };
  }

  /**
   * The refresh found the grant it read gone: needs_reauth, unless the connector's tokens moved on
   * meanwhile (a reconnect or a purge wrote while the provider was asked, which may be why it refused
   * the old refresh token): then the refresh's answer is only that its tokens are stale.
   */
  private async markNeedsReauth(connector: ConnectorEntity, reason: string): Promise<RefreshOutcome> {
    const marked = await this.markConnectorNeedsReauth(connector, reason, { tokenVersion: connector.tokenVersion });
    if (marked) return { status: 'needs_reauth', connector: marked, reason };
    // Not marked: it already was, or its tokens moved on. Unreadable now, the caller treats it as the latter (re-reads, or moves on).
    const now = await this.sql.findById(this.dataSource.manager, connector.id).catch(() => null);
    if (now === null || (now && now.status !== 'needs_reauth' && now.tokenVersion !== connector.tokenVersion)) throw new StaleTokenWriteError(connector.id);
    return { status: 'needs_reauth', connector: now ?? { ...connector, status: 'needs_reauth', lastError: reason, nextRefreshAt: null }, reason };
  }

  /**
   * Marks a connector needs_reauth (its grant is gone) unless it already is, or its tokens moved on
   * since `tokenVersion` when given (a refresh wrote newer ones): the one place this status is set
   * by Flow, so every such change is recorded (audit, `connector.needs_reauth` webhook) and every
   * flow-oauth-server drops the cached token answer. Returns the connector as marked, or undefined
   * when nothing changed.
   */
  async markConnectorNeedsReauth(connector: ConnectorEntity, reason: string, options: { tokenVersion?: number; extra?: Partial<ConnectorEntity> } = {}): Promise<ConnectorEntity | undefined> {
    const why = reason.slice(0, 500);
    // Off the refresh, health-check and reauth-warning schedules until its user signs in again.
    const values = { ...options.extra, status: 'needs_reauth' as const, lastError: why, nextRefreshAt: null, refreshRetryAt: null, refreshAttempts: 0, nextCheckAt: null, reauthDueAt: null, reauthDueBasis: null, updatedAt: nowIso() };
    const query = this.dataSource.createQueryBuilder().update(ConnectorEntity).set(values).where("id = :id AND status <> 'needs_reauth'", { id: connector.id });
    if (options.tokenVersion !== undefined) query.andWhere('token_version = :version', { version: options.tokenVersion });
    if (!(await query.execute()).affected) return undefined;
    const marked = Object.assign(new ConnectorEntity(), connector, values);
    this.logger.warn(`connector ${connector.id} needs re-authorization (${reason})`);
    await this.activity.record({ kind: 'connector', type: 'connector.needs_reauth', actor: 'system', connector: marked, data: { reason: why } });
    try {
      await emitEvent(this.events, FlowEvent.ConnectorNeedsReauth, { connectorId: connector.id, reason: why, at: nowIso() });
    } catch (error) {
      this.logger.error(`${FlowEvent.ConnectorNeedsReauth} could not be sent: ${(error as Error).message}`);
    }
    return marked;
  }
}

/**
 * Runs a read a refresh needs before it may call the provider; a failure there (database or Redis
 * not answering) becomes a RefreshStorageError: nothing was asked of the provider, so the job is
 * retried within seconds, not on the provider's backoff.
 */
async function beforeProvider<T>(connectorId: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new RefreshStorageError(connectorId, 'before', error);
  }
}

function rejected(provider: LoadedProvider): RejectedProvider {
  return { type: provider.type, provider: provider.name, rejectedAt: provider.rejectedAt, rejectedError: provider.rejectedError };
}

/** A short, secret-free description of a refresh failure for the connector's last_error. */
export function describeRefreshError(error: unknown): string {
  if (error instanceof OAuthProtocolError) return `${error.kind}${error.status ? ` (HTTP ${error.status})` : ''}: ${error.message}`.slice(0, 500);
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : 'unknown error';
}

const describe = describeRefreshError;
