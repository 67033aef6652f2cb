import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import type { Principal } from '@flow-oauth/api-auth';
import { actorOf } from '@flow-oauth/audit';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError } from '@flow-oauth/http-common';
import { LocalCache } from '@flow-oauth/local-cache';
import { emitEvent, FLOW_EVENTS_CLIENT } from '@flow-oauth/messaging';
import { OAuthClient, OAuthProtocolError } from '@flow-oauth/oauth-client';
import { RefreshMetrics, type RefreshOutcomeLabel } from '@flow-oauth/observability';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { FlowEvent } from '@flow-oauth/queue-contracts';
import {
  connectorDueAt,
  ConnectorLock,
  ConnectorTokenStore,
  describeRefreshError,
  type HistoryOutcome,
  LockTimeoutError,
  ProviderChangedError,
  refreshFailureKind,
  type RefreshOutcome,
  refreshHistoryOutcome,
  refreshOutcomeKind,
  refreshOutcomeLevel,
  RefreshHistory,
  RefreshStorageError,
  type RejectedProvider,
  StaleTokenWriteError,
  TokenRefreshService,
} from '@flow-oauth/token-refresh';
import type { ClientProxy } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { providerFailure } from './connector-authorization.service';
import { toConnectorView, type ConnectorView } from './connector-view';
import { ProviderRegistry } from './provider-registry';
import { type TokenRow, TokenRowReader } from './token-snapshot';

/** A stored token this much before its expiry is still handed out instead of waiting for a refresh. */
const STILL_VALID_MS = 5000;
/** How long a request for an expired token waits for another process's refresh of it (that lock frees within 10 s if its holder died). */
const EXPIRED_TOKEN_LOCK_WAIT_MS = 15_000;
/** Token answers held at most per process (the least recently stored are dropped first). */
const TOKEN_ANSWER_CACHE_ENTRIES = 10_000;

/** The token answer: `{ access_token, token_type, expires_at, ...kept metadata }`. */
export type TokenAnswer = Record<string, unknown> & { access_token: string; token_type: string; expires_at: string | null };

/** An opened token answer held in memory, with the owner it may be served to. */
interface HeldAnswer {
  owner: string;
  answer: TokenAnswer;
}

/** Connector reads, the on-demand token API, validation and deletion. */
@Injectable()
export class ConnectorsService {
  private readonly logger = new Logger('Connectors');
  private readonly rows: TokenRowReader;
  /** By connector id: the opened answer, served without a database read until its refresh time (or FLOW_CACHE_SECONDS). */
  private readonly answers = new LocalCache<string, HeldAnswer>(TOKEN_ANSWER_CACHE_ENTRIES);
  private readonly marginSeconds: number;
  /**
   * How long an answer is held at most (FLOW_CACHE_SECONDS). A delete, a purge or needs_reauth
   * reaches every instance as an event within milliseconds and drops it; this bounds how long an
   * instance that missed such an event (Redis down at that moment) keeps serving it.
   */
  private readonly holdMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly tokens: ConnectorTokenStore,
    private readonly refresher: TokenRefreshService,
    private readonly oauth: OAuthClient,
    private readonly lock: ConnectorLock,
    private readonly metrics: RefreshMetrics,
    private readonly history: RefreshHistory,
    private readonly activity: ActivityRecorder,
    @Inject(FLOW_EVENTS_CLIENT) private readonly events: ClientProxy,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.rows = new TokenRowReader(dataSource);
    this.marginSeconds = config.refreshMarginSeconds;
    this.holdMs = config.cacheSeconds * 1000;
  }

  /** Connectors the principal may see: its own, or all for admin and service keys. */
  async list(principal: Principal): Promise<ConnectorView[]> {
    const where = principal.kind === 'user' ? { owner: principal.name } : {};
    const rows = await this.dataSource.getRepository(ConnectorEntity).find({ where, order: { createdAt: 'ASC', label: 'ASC' } });
    return rows.map(toConnectorView);
  }

  /** One connector's metadata; 404 when it does not exist or belongs to someone else. */
  async get(principal: Principal, id: string): Promise<ConnectorView> {
    return toConnectorView(await this.visible(principal, id));
  }

  /**
   * A valid access token, refreshed first (under the connector's lock) when it expires within the
   * margin. The opened answer is then held in memory and served without reading the connector until
   * its refresh time (never past its expiry) or for FLOW_CACHE_SECONDS, whichever comes first; a
   * delete, purge or needs_reauth drops it on every instance (`forget`, by event).
   */
  async token(principal: Principal, id: string): Promise<TokenAnswer> {
    const held = this.answers.get(id);
    if (held) {
      if (principal.kind === 'user' && held.owner !== principal.name) throw notFound(id);
      return held.answer;
    }
    const read = this.answers.begin();
    let row = /^[0-9a-f-]{36}$/.test(id) ? await this.rows.read(id) : undefined;
    if (!row || (principal.kind === 'user' && row.owner !== principal.name)) throw notFound(id);
    if (row.status === 'needs_reauth' || !row.accessToken) {
      throw new ApiError(409, 'needs_reauth', `Connector "${row.label}" must be signed in again (${row.lastError ?? 'no token'}).`);
    }
    if (this.refresher.isDue(row)) row = await this.refreshForAnswer(row);
    const answer = this.buildAnswer(row);
    this.answers.set(row.id, { owner: row.owner, answer }, this.servableUntil(row), read);
    return answer;
  }

  /**
   * Until when an answer built from `row` may be served without reading it again: not at or after its
   * refresh time (the token API then refreshes it, or says why not, exactly as without the cache),
   * never within STILL_VALID_MS of its expiry, and not beyond FLOW_CACHE_SECONDS. A token already
   * due (served still valid while its refresh fails or runs elsewhere) is not held at all.
   */
  private servableUntil(row: TokenRow | ConnectorEntity, now = Date.now()): number {
    let until = Math.min(now + this.holdMs, connectorDueAt(row, this.marginSeconds));
    if (row.expiresAt !== null) until = Math.min(until, Date.parse(row.expiresAt) - STILL_VALID_MS);
    return until; // NaN (an unreadable expiry) is never stored
  }

  /**
   * Refreshes a due token for the answer. While the stored token is still valid nothing waits: if
   * another refresh holds the connector's lock, or the provider fails, or its credentials are
   * rejected, the stored token is the answer. An expired token waits (bounded) for a refresh.
   */
  private async refreshForAnswer(row: TokenRow): Promise<TokenRow> {
    const stillValid = row.expiresAt !== null && Date.parse(row.expiresAt) > Date.now() + STILL_VALID_MS;
    try {
      const outcome = await this.measured(row.id, this.refresher.refreshConnector(row.id, 'if-due', { lockWaitMs: stillValid ? 0 : EXPIRED_TOKEN_LOCK_WAIT_MS }));
      if (outcome.status === 'missing') throw new ApiError(404, 'not_found', 'Connector not found.');
      if (outcome.status === 'needs_reauth') throw new ApiError(409, 'needs_reauth', `Connector "${row.label}" must be signed in again (${outcome.reason}).`);
      if (outcome.status === 'credentials_rejected') {
        if (stillValid) return row;
        throw credentialsRejected(outcome.provider);
      }
      return outcome.connector;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof LockTimeoutError) {
        if (stillValid) return row;
        throw new ApiError(503, 'refresh_in_progress', 'A refresh of this connector is taking long; try again shortly.');
      }
      if (error instanceof StaleTokenWriteError) {
        // The tokens changed under the refresh (a purge): answer from what is stored now.
        const now = await this.rows.read(row.id);
        if (!now) throw new ApiError(404, 'not_found', 'Connector not found.');
        if (now.status === 'needs_reauth' || !now.accessToken) throw new ApiError(409, 'needs_reauth', `Connector "${now.label}" must be signed in again (${now.lastError ?? 'no token'}).`);
        return now;
      }
      if (error instanceof RefreshStorageError || error instanceof ProviderChangedError) {
        if (stillValid) return row;
        throw new ApiError(503, 'dependency_unavailable', 'The token could not be refreshed now (the database did not take the write); try again shortly.');
      }
      // The provider is down: a token that has not expired yet is still worth handing out.
      if (!stillValid || !(error instanceof OAuthProtocolError)) throw providerFailure(error, 'refreshing the token');
      this.logger.warn(`connector ${row.id}: refresh failed, serving the unexpired token`);
      return row;
    }
  }

  /**
   * Counts an on-demand refresh in the refresh metrics (no lag: nothing scheduled it) and the hourly
   * history, and logs its outcome in one line as token-refresher does for its own (no secret: the
   * outcome's kind and, for a failure, its secret-free description).
   */
  private async measured(connectorId: string, refresh: Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    const started = performance.now();
    const record = (kind: RefreshOutcomeLabel, history: HistoryOutcome, detail?: string) => {
      const ms = performance.now() - started;
      this.metrics.recordOutcome(kind, ms / 1000);
      this.history.record(history);
      this.logger[refreshOutcomeLevel(kind)](`on-demand refresh of connector ${connectorId}: ${kind} in ${Math.round(ms)} ms${detail ? `: ${detail}` : ''}`);
    };
    try {
      const outcome = await refresh;
      record(refreshOutcomeKind(outcome), refreshHistoryOutcome(outcome));
      return outcome;
    } catch (error) {
      const kind = refreshFailureKind(error);
      record(kind, kind, kind === 'lock_busy' ? undefined : describeRefreshError(error));
      throw error;
    }
  }

  private buildAnswer(row: TokenRow): TokenAnswer {
    const isOAuth1 = row.tokenType === 'OAuth1';
    const opened = this.tokens.open({ id: row.id, accessToken: row.accessToken, refreshToken: isOAuth1 ? row.refreshToken : null });
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    const answer: TokenAnswer = { ...metadata, access_token: opened.accessToken as string, token_type: row.tokenType ?? 'Bearer', expires_at: row.expiresAt };
    if (isOAuth1) answer['oauth_token_secret'] = opened.refreshToken;
    if (row.scope) answer['scope'] = row.scope;
    return answer;
  }

  /** Drops a connector's held token answer (an event said it was deleted, purged or needs re-authorization). */
  forget(id: string): void {
    this.answers.forget(id);
  }

  /** New tokens were stored (a reconnect): drops the held answer here and, by event, on every other instance. */
  async tokensReplaced(id: string): Promise<void> {
    await this.forgetEverywhere(id, FlowEvent.ConnectorTokensReplaced);
  }

  /** Drops the held answer here, then tells every instance to (the event also reaches this one: forget is idempotent). */
  private async forgetEverywhere(id: string, event: typeof FlowEvent.ConnectorDeleted | typeof FlowEvent.ConnectorTokensReplaced): Promise<void> {
    this.answers.forget(id);
    try {
      await emitEvent(this.events, event, { connectorId: id, at: nowIso() });
    } catch (error) {
      // Done all the same; other instances stop serving the held answer within FLOW_CACHE_SECONDS.
      this.logger.error(`${event} could not be sent: ${(error as Error).message}`);
    }
  }

  /** Tests the connector's token against the provider's validation endpoint. */
  async validate(principal: Principal, id: string): Promise<{ valid: boolean; status?: number; detail: string }> {
    const connector = await this.visible(principal, id);
    const provider = this.registry.getById(connector.providerId);
    if (!provider) throw new ApiError(409, 'provider_not_found', 'The connector\'s OAuth provider is no longer loaded.');
    if (!connector.accessToken) return { valid: false, detail: 'the connector has no token; sign in again' };
    const { accessToken, refreshToken } = this.tokens.open(connector);
    // OAuth 1.0a: the token secret (kept in the refresh-token column) signs the validation call.
    const tokenSecret = connector.tokenType === 'OAuth1' ? (refreshToken ?? undefined) : undefined;
    try {
      const result = await this.oauth.validate(provider, { accessToken: accessToken as string, tokenSecret, connectionParams: JSON.parse(connector.params) as Record<string, string> });
      return { valid: result.ok, status: result.status, detail: result.detail };
    } catch (error) {
      throw providerFailure(error, 'validating the connector');
    }
  }

  /** Revokes at the provider where it can, then deletes the connector and its tokens (its refresh schedule with it). */
  async delete(principal: Principal, id: string): Promise<{ revoked: boolean; detail: string }> {
    const found = await this.visible(principal, id);
    // Under the refresh lock: a refresh running now would otherwise mint tokens nobody revokes.
    try {
      return await this.lock.withLock(found.id, () => this.deleteLocked(principal, id));
    } catch (error) {
      if (error instanceof LockTimeoutError) throw new ApiError(503, 'refresh_in_progress', 'A refresh of this connector is running; try the delete again shortly.');
      throw error;
    }
  }

  private async deleteLocked(principal: Principal, id: string): Promise<{ revoked: boolean; detail: string }> {
    const connector = await this.visible(principal, id);
    const provider = this.registry.getById(connector.providerId);
    let revocation = { revoked: false, detail: 'no token to revoke' };
    let attempted = false;
    if (provider && connector.accessToken) {
      const { accessToken, refreshToken } = this.tokens.open(connector);
      attempted = true;
      try {
        revocation = await this.oauth.revoke(provider, {
          accessToken: accessToken ?? undefined,
          refreshToken: connector.tokenType === 'OAuth1' ? undefined : (refreshToken ?? undefined),
          connectionParams: JSON.parse(connector.params) as Record<string, string>,
        });
      } catch (error) {
        // Not a provider answer (those come back as a result, already redacted): keep any secret out by hand.
        const secrets = [accessToken, refreshToken, ...Object.values(provider.secrets)].filter((v): v is string => typeof v === 'string' && v.length > 0);
        const message = error instanceof Error ? error.message : 'unknown error';
        revocation = { revoked: false, detail: `revocation failed: ${secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), message)}` };
      }
    }
    if (attempted && !revocation.revoked && revocation.detail !== 'provider has no revocation endpoint') {
      // The delete goes on (SPEC: revoke where it can): the operator learns why the grant may still be live at the provider.
      this.logger.warn(`connector ${connector.id} (${connector.type}/${connector.providerName}) is deleted, but not revoked at the provider: ${revocation.detail}`);
    }
    await this.dataSource.getRepository(ConnectorEntity).delete({ id: connector.id });
    await this.forgetEverywhere(connector.id, FlowEvent.ConnectorDeleted);
    this.logger.log(`connector ${connector.id} deleted (revoked: ${revocation.revoked})`);
    await this.activity.record({ kind: 'connector', type: 'connector.deleted', actor: actorOf(principal), connector, data: { revoked: revocation.revoked } });
    return revocation;
  }

  private async visible(principal: Principal, id: string): Promise<ConnectorEntity> {
    const connector = /^[0-9a-f-]{36}$/.test(id) ? await this.dataSource.getRepository(ConnectorEntity).findOneBy({ id }) : null;
    if (!connector || (principal.kind === 'user' && connector.owner !== principal.name)) throw notFound(id);
    return connector;
  }
}

function notFound(id: string): ApiError {
  return new ApiError(404, 'not_found', `Connector ${id.slice(0, 64)} not found.`);
}

/** 503 for an expired token whose provider refuses Flow's client credentials: the operator must fix the provider. */
function credentialsRejected(provider: RejectedProvider): ApiError {
  return new ApiError(
    503,
    'provider_credentials_rejected',
    `The OAuth provider "${provider.type}/${provider.provider}" refuses Flow's client credentials (${provider.rejectedError ?? 'invalid_client'}), so this expired token cannot be refreshed. ` +
      'An administrator must load the provider with its correct client secret; the connector resumes by itself, no new sign-in is needed.',
    { type: provider.type, provider: provider.provider, rejectedAt: provider.rejectedAt, rejectedError: provider.rejectedError },
  );
}
