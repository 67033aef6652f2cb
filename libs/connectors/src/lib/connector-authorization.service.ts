import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { ownerName, type Principal } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError, invalidRequest, isDependencyError } from '@flow-oauth/http-common';
import { OAuthClient, OAuthProtocolError, validateConnectionParams } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { actorOfOwner } from '@flow-oauth/audit';
import { definitionRefreshes, type LoadedProvider } from '@flow-oauth/provider-reader';
import { ConnectorTokenStore, reauthDue } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';
import type { BrowserCookie } from '@flow-oauth/web-pages';
import type { ReauthorizeRequest, StartAuthorizationRequest } from './authorization-request';
import { AuthorizationStateStore, type PendingAuthorization } from './authorization-state.store';
import { insertConnectorIfProviderUnchanged } from './connector-insert';
import { replaceConnectorTokensIfUnchanged } from './connector-reauthorize';
import { toConnectorView, type ConnectorView } from './connector-view';
import { ConnectorsService } from './connectors.service';
import { ProviderRegistry } from './provider-registry';
import { renderReturnPage } from './return-page';
import { sha256Hex, SignInBindingStore } from './sign-in-binding.store';
import { safeEqual, SIGN_IN_START_PATH, SignInCookies } from './sign-in-cookies';

/** How a sign-in ended, for the return page. */
export type ReturnOutcome =
  | { ok: true; connector: ConnectorView; redirectUrl?: string; reconnected?: boolean }
  | { ok: false; status: number; error: string; message: string; redirectUrl?: string };

/** The return page's answer: the outcome as a page, and the cookies to set (a used sign-in's binding cookie is cleared). */
export interface ReturnAnswer {
  outcome: ReturnOutcome;
  status: number;
  html: string;
  cookies: BrowserCookie[];
}

/** What starting a sign-in answers: the single-use start link, the state, and when the sign-in expires. */
export interface StartLink {
  authorizeUrl: string;
  state: string;
  expiresAt: string;
}

/**
 * Starts sign-ins (single-use state, and a start link that binds the sign-in to a browser) and
 * finishes them at the return endpoint, for the browser that went through the start link only. A
 * sign-in creates a connector, or (reconnect) writes new tokens into an existing one.
 */
@Injectable()
export class ConnectorAuthorizationService {
  private readonly logger = new Logger('ConnectorAuthorization');

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly states: AuthorizationStateStore,
    private readonly oauth: OAuthClient,
    private readonly tokens: ConnectorTokenStore,
    private readonly dataSource: DataSource,
    private readonly bindings: SignInBindingStore,
    private readonly signInCookies: SignInCookies,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
    private readonly activity: ActivityRecorder,
    private readonly connectors: ConnectorsService,
  ) {}

  /**
   * Validates everything a sign-in needs before any redirect and stores the pending sign-in; answers
   * a start link (`authorizeUrl`, a Flow URL) that binds the sign-in to the browser opening it.
   */
  async start(principal: Principal, requested: StartAuthorizationRequest): Promise<StartLink> {
    const { type, provider: providerName, label, params, scopes, redirectUrl } = requested;
    if (redirectUrl !== undefined && !this.isAllowedRedirect(redirectUrl)) {
      throw invalidRequest([{ path: '/redirectUrl', message: 'redirectUrl must be on an allowed origin (FLOW_ALLOWED_REDIRECT_ORIGINS)' }]);
    }

    const provider = this.registry.get(type, providerName);
    if (!provider) throw new ApiError(404, 'provider_not_found', `No OAuth provider "${providerName}" is loaded for connector type "${type}".`);
    if (await this.dataSource.getRepository(ConnectorEntity).existsBy({ label })) {
      throw new ApiError(409, 'label_taken', `A connector labelled "${label}" already exists; labels are unique across all connectors.`);
    }
    const checked = validateConnectionParams(provider, params ?? {});
    if (checked.errors.length > 0) {
      throw new ApiError(400, 'invalid_params', checked.errors.map((e) => `${e.param}: ${e.message}`).join('; '), { problems: checked.errors });
    }

    const pending: PendingAuthorization = {
      type: provider.type,
      providerId: provider.id,
      providerName: provider.name,
      providerFingerprint: provider.fingerprint,
      label,
      owner: ownerName(principal),
      params: checked.values,
      scope: '',
      redirectUrl,
      createdAt: nowIso(),
    };
    return this.begin(provider, pending, scopes);
  }

  /**
   * Starts a sign-in that writes new tokens into an existing connector (`needs_reauth` after a purge,
   * a revoked grant...): same id, label, provider and per-connection parameters; the owner stays the
   * connector's. The scopes asked for are the connector's unless `scopes` says otherwise. The return
   * refuses it if the connector was deleted, changed owner or its provider changed meanwhile.
   */
  async reconnect(principal: Principal, connectorId: string, requested: ReauthorizeRequest): Promise<StartLink> {
    const { scopes, redirectUrl } = requested;
    if (redirectUrl !== undefined && !this.isAllowedRedirect(redirectUrl)) {
      throw invalidRequest([{ path: '/redirectUrl', message: 'redirectUrl must be on an allowed origin (FLOW_ALLOWED_REDIRECT_ORIGINS)' }]);
    }
    const connector = /^[0-9a-f-]{36}$/.test(connectorId) ? await this.dataSource.getRepository(ConnectorEntity).findOneBy({ id: connectorId }) : null;
    if (!connector || (principal.kind === 'user' && connector.owner !== principal.name)) {
      throw new ApiError(404, 'not_found', `Connector ${connectorId.slice(0, 64)} not found.`);
    }
    const provider = this.registry.getById(connector.providerId);
    if (!provider) throw new ApiError(409, 'provider_not_found', `The connector's OAuth provider "${connector.type}/${connector.providerName}" is no longer loaded; it cannot sign in again.`);
    const params = JSON.parse(connector.params) as Record<string, string>;
    const pending: PendingAuthorization = {
      type: provider.type,
      providerId: provider.id,
      providerName: provider.name,
      providerFingerprint: provider.fingerprint,
      label: connector.label,
      owner: connector.owner,
      params,
      scope: '',
      redirectUrl,
      reconnectId: connector.id,
      createdAt: nowIso(),
    };
    const asked = scopes ?? splitStoredScope(connector.scope, provider);
    this.logger.log(`reconnect of connector ${connector.id} (${connector.type}/${connector.providerName}) started`);
    return this.begin(provider, pending, asked.length > 0 ? asked : undefined);
  }

  /** Stores the pending sign-in (after the request token, for OAuth 1.0a) and answers its start link. */
  private async begin(provider: LoadedProvider, pending: PendingAuthorization, scopes: string[] | undefined): Promise<StartLink> {
    try {
      if (provider.definition.oauth_type === 'OAuth1') {
        const request = await this.oauth.oauth1RequestToken(provider, { callbackUrl: this.config.returnUrl, scopes, connectionParams: pending.params });
        const expiresAt = await this.states.save(request.token, { ...pending, oauth1TokenSecret: request.tokenSecret, authorizeUrl: request.authorizeUrl });
        return await this.startLink(request.token, expiresAt);
      }
      const state = AuthorizationStateStore.newState();
      const built = this.oauth.buildAuthorizationUrl(provider, { state, connectionParams: pending.params, scopes });
      const expiresAt = await this.states.save(state, { ...pending, scope: built.scope, codeVerifier: built.codeVerifier, authorizeUrl: built.url });
      return await this.startLink(state, expiresAt);
    } catch (error) {
      throw providerFailure(error, 'starting the sign-in');
    }
  }

  /**
   * The origin of the provider's sign-in page for these connection parameters, so a page whose form
   * leads there (through the start link) can allow it in its CSP `form-action`; undefined when it
   * cannot be told without a sign-in (an OAuth 1.0a authorize URL from the request token, bad params).
   */
  signInOrigin(provider: LoadedProvider, params: Record<string, string>): string | undefined {
    try {
      // As a sign-in would build it: the values checked and the definition's defaults filled in.
      const { values, errors } = validateConnectionParams(provider, params);
      if (errors.length > 0) return undefined;
      const url = provider.definition.oauth_type === 'OAuth1' ? provider.definition.oauth1_authorize_url : this.oauth.buildAuthorizationUrl(provider, { state: 'origin-only', connectionParams: values }).url;
      return url ? new URL(url).origin : undefined;
    } catch {
      return undefined;
    }
  }

  /** The single-use start link of a stored sign-in; it lives no longer than the state. */
  private async startLink(state: string, expiresAt: Date): Promise<StartLink> {
    const startId = await this.bindings.createStart(AuthorizationStateStore.hashOf(state), expiresAt);
    return { authorizeUrl: `${this.config.publicUrl}${SIGN_IN_START_PATH}?id=${startId}`, state, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Finishes a sign-in from the provider's redirect, in the browser bound to it (its cookie); every
   * failure is an outcome (a page), never a throw.
   */
  async complete(query: Record<string, unknown>, cookies: Record<string, unknown> | undefined): Promise<ReturnAnswer> {
    const stateValue = returnedState(query);
    const stateHash = stateValue ? AuthorizationStateStore.hashOf(stateValue) : undefined;
    // Once the state is used (or was never valid) this browser's cookie for it has no purpose left.
    const clear = stateHash && SignInCookies.bindingNonce(cookies, stateHash) ? [this.signInCookies.clearBinding(stateHash)] : [];
    const answer = (outcome: ReturnOutcome, cookiesToSet: BrowserCookie[]): ReturnAnswer => ({
      outcome,
      status: outcome.ok ? 200 : outcome.status,
      html: renderReturnPage(outcome, this.signInCookies.basePath),
      cookies: cookiesToSet,
    });
    try {
      const outcome = await this.completeOrThrow(query, cookies);
      return answer(outcome, !outcome.ok && outcome.error === 'browser_not_bound' ? [] : clear);
    } catch (error) {
      this.logger.error(`sign-in could not be finished: ${error instanceof Error ? error.name : 'error'}`);
      const outcome = isDependencyError(error)
        ? failure(503, 'dependency_unavailable', 'Flow could not reach its database or Redis; start the connection again in a moment.')
        : failure(500, 'internal_error', 'The sign-in could not be finished; start the connection again.');
      return answer(outcome, []);
    }
  }

  private async completeOrThrow(query: Record<string, unknown>, cookies: Record<string, unknown> | undefined): Promise<ReturnOutcome> {
    const q = (name: string): string | undefined => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const isOAuth1 = q('oauth_token') !== undefined && q('state') === undefined;
    const stateValue = returnedState(query);
    if (!stateValue) return failure(400, 'missing_state', 'The sign-in response has no state; start the connection again from Flow.');
    if (stateValue.length > 512) return failure(400, 'invalid_state', 'This sign-in link has expired or was already used. Start the connection again.');
    const stateHash = AuthorizationStateStore.hashOf(stateValue);
    // RFC 9700 section 4.7: only the browser that went through the start link may finish the sign-in.
    // Checked before anything is used up, so a refused return leaves the sign-in to its own browser.
    if (!(await this.isBoundBrowser(stateHash, cookies))) {
      if (!(await this.states.exists(stateValue))) return failure(400, 'invalid_state', 'This sign-in link has expired or was already used. Start the connection again.');
      return failure(403, 'browser_not_bound', 'This sign-in was started in another browser, or this browser lost its sign-in cookie. Finish the sign-in in the browser where it was started (open the link from Flow there); nothing was changed.');
    }
    const pending = await this.states.consume(stateValue);
    await this.bindings.unbind(stateHash);
    if (!pending) return failure(400, 'invalid_state', 'This sign-in link has expired or was already used. Start the connection again.');
    const redirectUrl = pending.redirectUrl;
    const providerError = q('error');
    if (providerError) {
      const description = q('error_description');
      const message = providerError === 'access_denied' ? 'Access was denied at the provider; no connector was created.' : `The provider refused the sign-in (${providerError}${description ? `: ${description.slice(0, 200)}` : ''}).`;
      return failure(400, providerError.replace(/[^a-z0-9_]/gi, '').slice(0, 64) || 'provider_error', message, redirectUrl);
    }
    const provider = this.registry.getById(pending.providerId);
    if (!provider) return failure(409, 'provider_not_found', 'The OAuth provider was removed during the sign-in.', redirectUrl);
    // The id comes first: the tokens are sealed bound to the connector's row (a reconnect's is the connector's own).
    const id = pending.reconnectId ?? randomUUID();
    try {
      let values: Partial<ConnectorEntity>;
      if (isOAuth1) {
        const verifier = q('oauth_verifier');
        if (!verifier) return failure(400, 'missing_verifier', 'The sign-in response has no oauth_verifier.', redirectUrl);
        const access = await this.oauth.oauth1AccessToken(provider, { token: stateValue, tokenSecret: pending.oauth1TokenSecret ?? '', verifier, connectionParams: pending.params });
        values = {
          ...this.tokens.columns(id, { accessToken: access.token, tokenType: 'OAuth1', expiresAt: null, refreshToken: access.tokenSecret, metadata: {} }, null),
          ...reauthDue({ type: provider.type, parameters: provider.parameters, refreshes: false, tokens: { expiresAt: null }, obtainedAt: new Date() }),
          metadata: JSON.stringify(access.metadata),
        };
      } else {
        const code = q('code');
        if (!code) return failure(400, 'missing_code', 'The sign-in response has no authorization code.', redirectUrl);
        const tokens = await this.oauth.exchangeCode(provider, { code, codeVerifier: pending.codeVerifier, connectionParams: pending.params, scope: pending.scope });
        // Keep the requested scope: refreshes must ask for the same (Microsoft templates name {scope}).
        values = {
          ...this.tokens.columns(id, { ...tokens, scope: pending.scope || tokens.scope }, null),
          // When this grant will need its user again (the refresh token's life, where known).
          ...reauthDue({ type: provider.type, parameters: provider.parameters, refreshes: definitionRefreshes(provider.definition), tokens, obtainedAt: new Date() }),
          metadata: JSON.stringify(tokens.metadata),
        };
      }
      if (pending.reconnectId) return await this.storeReconnected(provider, pending, id, values);
      const now = nowIso();
      const connector = Object.assign(new ConnectorEntity(), {
        id,
        label: pending.label,
        providerId: provider.id,
        type: provider.type,
        providerName: provider.name,
        owner: pending.owner,
        params: JSON.stringify(pending.params),
        tokenVersion: 1,
        createdAt: now,
        ...values,
        updatedAt: now,
      });
      try {
        const stored = await insertConnectorIfProviderUnchanged(this.dataSource, connector, pending.providerFingerprint);
        if (!stored) {
          await this.revokeUnused(provider, id, values, pending.params);
          return failure(409, 'provider_changed', 'The OAuth provider was changed or removed during the sign-in; start the connection again.', redirectUrl);
        }
      } catch (error) {
        if (await this.dataSource.getRepository(ConnectorEntity).existsBy({ label: pending.label })) {
          return failure(409, 'label_taken', `A connector labelled "${pending.label}" was created meanwhile; start again with another label.`, redirectUrl);
        }
        throw error;
      }
      this.logger.log(`connector ${connector.id} (${connector.type}/${connector.providerName}) created for ${connector.owner}`);
      await this.activity.record({ kind: 'connector', type: 'connector.created', actor: actorOfOwner(connector.owner), connector });
      return { ok: true, connector: toConnectorView(connector), redirectUrl };
    } catch (error) {
      const failed = providerFailure(error, 'finishing the sign-in');
      return failure(failed.getStatus(), failed.code, failed.message, redirectUrl);
    }
  }

  /**
   * A reconnect's tokens replace the connector's in one statement (token_version bumped, so a refresh
   * that read the old tokens cannot write over them), only while the connector still exists, has the
   * same owner and provider, and the provider has the settings the sign-in started under (its next
   * refresh time is written with them). Otherwise nothing is stored and the new tokens are revoked.
   */
  private async storeReconnected(provider: LoadedProvider, pending: PendingAuthorization, id: string, values: Partial<ConnectorEntity>): Promise<ReturnOutcome> {
    const redirectUrl = pending.redirectUrl;
    // The status it leaves (connector.recovered when it was needs_reauth or refresh_failed).
    const before = await this.dataSource.getRepository(ConnectorEntity).findOne({ where: { id }, select: { id: true, status: true } });
    const stored = await replaceConnectorTokensIfUnchanged(this.dataSource, { id, owner: pending.owner, providerId: provider.id, fingerprint: pending.providerFingerprint }, values);
    if (!stored) {
      await this.revokeUnused(provider, id, values, pending.params);
      const connector = await this.dataSource.getRepository(ConnectorEntity).findOneBy({ id });
      if (!connector || connector.owner !== pending.owner) {
        return failure(409, 'connector_not_found', `The connector "${pending.label}" was deleted during the sign-in; nothing was stored. Add it again.`, redirectUrl);
      }
      return failure(409, 'provider_changed', 'The OAuth provider was changed or removed during the sign-in; sign in again.', redirectUrl);
    }
    this.logger.log(`connector ${stored.id} (${stored.type}/${stored.providerName}) signed in again for ${stored.owner}: new tokens, token version ${stored.tokenVersion}`);
    // The old token answer (maybe of other scopes) must not be served again, here or on another instance.
    await this.connectors.tokensReplaced(stored.id);
    if (before && before.status !== 'active') {
      await this.activity.record({ kind: 'connector', type: 'connector.recovered', actor: actorOfOwner(stored.owner), connector: stored, data: { previousStatus: before.status, reconnected: true } });
    }
    return { ok: true, connector: toConnectorView(stored), redirectUrl, reconnected: true };
  }

  /** Best effort: tokens obtained for a connector that is not created are revoked at the provider. */
  private async revokeUnused(provider: LoadedProvider, id: string, values: Partial<ConnectorEntity>, params: Record<string, string>): Promise<void> {
    try {
      const opened = this.tokens.open({ id, accessToken: values.accessToken ?? null, refreshToken: values.refreshToken ?? null });
      const oauth1 = values.tokenType === 'OAuth1';
      await this.oauth.revoke(provider, { accessToken: opened.accessToken ?? undefined, refreshToken: oauth1 ? undefined : (opened.refreshToken ?? undefined), connectionParams: params });
    } catch (error) {
      this.logger.warn(`tokens of a refused sign-in could not be revoked: ${error instanceof Error ? error.name : 'error'}`);
    }
  }

  /** Whether the request carries the binding cookie whose nonce hash is stored for this state. */
  private async isBoundBrowser(stateHash: string, cookies: Record<string, unknown> | undefined): Promise<boolean> {
    const nonce = SignInCookies.bindingNonce(cookies, stateHash);
    if (!nonce) return false;
    const expected = await this.bindings.bindingOf(stateHash);
    return expected !== undefined && safeEqual(sha256Hex(nonce), expected);
  }

  /** This deployment's own origin (its pages come back to `/`), or one of FLOW_ALLOWED_REDIRECT_ORIGINS. */
  private isAllowedRedirect(url: unknown): boolean {
    if (typeof url !== 'string') return false;
    try {
      const origin = new URL(url).origin;
      if (origin === new URL(this.config.publicUrl).origin) return true;
      return this.config.allowedRedirectOrigins.some((allowed) => allowed.replace(/\/+$/, '') === origin);
    } catch {
      return false;
    }
  }
}

/** The scopes a connector asked for, as separate values (stored joined by the definition's separator). */
function splitStoredScope(scope: string | null, provider: LoadedProvider): string[] {
  if (!scope) return [];
  const separator = provider.definition.oauth2_scope_separator;
  const by = typeof separator === 'string' && separator.trim() !== '' ? separator : /\s+/;
  return scope.split(by).map((s) => s.trim()).filter(Boolean);
}

/** The state a provider's redirect carries: `state` (OAuth 2) or the request token `oauth_token` (OAuth 1.0a). */
function returnedState(query: Record<string, unknown>): string | undefined {
  const value = typeof query['state'] === 'string' ? query['state'] : typeof query['oauth_token'] === 'string' ? query['oauth_token'] : undefined;
  return value || undefined;
}

function failure(status: number, error: string, message: string, redirectUrl?: string): ReturnOutcome {
  return { ok: false, status, error, message, redirectUrl };
}

/** Maps a provider-side failure to an API error without any secret in it. */
export function providerFailure(error: unknown, during: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof OAuthProtocolError) {
    if (error.kind === 'transient') return new ApiError(503, 'provider_unavailable', `The provider did not answer while ${during}; try again.`);
    if (error.kind === 'config') return new ApiError(400, 'invalid_params', error.message);
    return new ApiError(502, error.kind === 'invalid_grant' ? 'invalid_grant' : 'provider_error', `The provider refused ${during}: ${error.message}`);
  }
  throw error;
}
