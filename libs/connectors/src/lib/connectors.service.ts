import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@flow-oauth/api-auth';
import { ApiError } from '@flow-oauth/http-common';
import { OAuthClient, OAuthProtocolError } from '@flow-oauth/oauth-client';
import { RefreshMetrics } from '@flow-oauth/observability';
import { ConnectorEntity } from '@flow-oauth/persistence';
import {
  ConnectorLock,
  ConnectorTokenStore,
  LockTimeoutError,
  ProviderChangedError,
  refreshFailureKind,
  type RefreshOutcome,
  refreshOutcomeKind,
  RefreshProducer,
  RefreshStorageError,
  type RejectedProvider,
  StaleTokenWriteError,
  TokenRefreshService,
} from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';
import { providerFailure } from './connector-authorization.service';
import { toConnectorView, type ConnectorView } from './connector-view';
import { ProviderRegistry } from './provider-registry';
import { TokenAnswerCache, type TokenRow, TokenRowReader } from './token-snapshot';

/** A stored token this much before its expiry is still handed out instead of waiting for a refresh. */
const STILL_VALID_MS = 5000;
/** How long a request for an expired token waits for another process's refresh of it (that lock frees within 10 s if its holder died). */
const EXPIRED_TOKEN_LOCK_WAIT_MS = 15_000;

/** The token answer: `{ access_token, token_type, expires_at, ...kept metadata }`. */
export type TokenAnswer = Record<string, unknown> & { access_token: string; token_type: string; expires_at: string | null };

/** Connector reads, the on-demand token API, validation and deletion. */
@Injectable()
export class ConnectorsService {
  private readonly logger = new Logger('Connectors');
  private readonly rows: TokenRowReader;
  private readonly answers = new TokenAnswerCache<TokenAnswer>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly tokens: ConnectorTokenStore,
    private readonly refresher: TokenRefreshService,
    private readonly producer: RefreshProducer,
    private readonly oauth: OAuthClient,
    private readonly lock: ConnectorLock,
    private readonly metrics: RefreshMetrics,
  ) {
    this.rows = new TokenRowReader(dataSource);
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

  /** A valid access token, refreshed first (under the connector's lock) when it expires within the margin. */
  async token(principal: Principal, id: string): Promise<TokenAnswer> {
    let row = /^[0-9a-f-]{36}$/.test(id) ? await this.rows.read(id) : undefined;
    if (!row || (principal.kind === 'user' && row.owner !== principal.name)) throw new ApiError(404, 'not_found', `Connector ${id.slice(0, 64)} not found.`);
    if (row.status === 'needs_reauth' || !row.accessToken) {
      throw new ApiError(409, 'needs_reauth', `Connector "${row.label}" must be signed in again (${row.lastError ?? 'no token'}).`);
    }
    if (this.refresher.isDue(row)) row = await this.refreshForAnswer(row);
    const cached = this.answers.get(row.id, row.tokenVersion);
    if (cached) return cached;
    const answer = this.buildAnswer(row);
    this.answers.set(row.id, row.tokenVersion, answer);
    return answer;
  }

  /**
   * Refreshes a due token for the answer. While the stored token is still valid nothing waits: if
   * another refresh holds the connector's lock, or the provider fails, or its credentials are
   * rejected, the stored token is the answer. An expired token waits (bounded) for a refresh.
   */
  private async refreshForAnswer(row: TokenRow): Promise<TokenRow> {
    const stillValid = row.expiresAt !== null && Date.parse(row.expiresAt) > Date.now() + STILL_VALID_MS;
    try {
      const outcome = await this.measured(this.refresher.refreshConnector(row.id, 'if-due', { lockWaitMs: stillValid ? 0 : EXPIRED_TOKEN_LOCK_WAIT_MS }));
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

  /** Counts an on-demand refresh in the refresh metrics (no lag: nothing scheduled it). */
  private async measured(refresh: Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    const started = performance.now();
    try {
      const outcome = await refresh;
      this.metrics.recordOutcome(refreshOutcomeKind(outcome), (performance.now() - started) / 1000);
      return outcome;
    } catch (error) {
      this.metrics.recordOutcome(refreshFailureKind(error), (performance.now() - started) / 1000);
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

  /** Drops a connector's cached token answer (its tokens changed elsewhere). */
  forget(id: string): void {
    this.answers.delete(id);
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

  /** Revokes at the provider where it can, then deletes the connector, its tokens and its refresh job. */
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
    if (provider && connector.accessToken) {
      const { accessToken, refreshToken } = this.tokens.open(connector);
      try {
        revocation = await this.oauth.revoke(provider, {
          accessToken: accessToken ?? undefined,
          refreshToken: connector.tokenType === 'OAuth1' ? undefined : (refreshToken ?? undefined),
          connectionParams: JSON.parse(connector.params) as Record<string, string>,
        });
      } catch (error) {
        revocation = { revoked: false, detail: `revocation failed: ${error instanceof Error ? error.message : 'unknown error'}` };
      }
    }
    await this.dataSource.getRepository(ConnectorEntity).delete({ id: connector.id });
    this.answers.delete(connector.id);
    await this.producer.cancel(connector).catch(() => undefined);
    this.logger.log(`connector ${connector.id} deleted (revoked: ${revocation.revoked})`);
    return revocation;
  }

  private async visible(principal: Principal, id: string): Promise<ConnectorEntity> {
    const connector = /^[0-9a-f-]{36}$/.test(id) ? await this.dataSource.getRepository(ConnectorEntity).findOneBy({ id }) : null;
    if (!connector || (principal.kind === 'user' && connector.owner !== principal.name)) {
      throw new ApiError(404, 'not_found', `Connector ${id.slice(0, 64)} not found.`);
    }
    return connector;
  }
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
