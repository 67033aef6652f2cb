import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ownerName, type Principal } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError, isDependencyError } from '@flow-oauth/http-common';
import { OAuthClient, OAuthProtocolError, validateConnectionParams } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import type { LoadedProvider } from '@flow-oauth/provider-config';
import { ConnectorTokenStore, RefreshProducer } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';
import type { BrowserCookie } from '@flow-oauth/web-pages';
import { AuthorizationStateStore, type PendingAuthorization } from './authorization-state.store';
import { insertConnectorIfProviderUnchanged } from './connector-insert';
import { toConnectorView, type ConnectorView } from './connector-view';
import { labelProblem } from './label-rules';
import { ProviderRegistry } from './provider-registry';
import { renderReturnPage } from './return-page';
import { sha256Hex, SignInBindingStore } from './sign-in-binding.store';
import { safeEqual, SIGN_IN_START_PATH, SignInCookies } from './sign-in-cookies';

/** How a sign-in ended, for the return page. */
export type ReturnOutcome =
  | { ok: true; connector: ConnectorView; redirectUrl?: string }
  | { ok: false; status: number; error: string; message: string; redirectUrl?: string };

/** The return page's answer: the outcome as a page, and the cookies to set (a used sign-in's binding cookie is cleared). */
export interface ReturnAnswer {
  outcome: ReturnOutcome;
  status: number;
  html: string;
  cookies: BrowserCookie[];
}

/**
 * Starts sign-ins (single-use state, and a start link that binds the sign-in to a browser) and
 * finishes them at the return endpoint, for the browser that went through the start link only.
 */
@Injectable()
export class ConnectorAuthorizationService {
  private readonly logger = new Logger('ConnectorAuthorization');

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly states: AuthorizationStateStore,
    private readonly oauth: OAuthClient,
    private readonly tokens: ConnectorTokenStore,
    private readonly producer: RefreshProducer,
    private readonly dataSource: DataSource,
    private readonly bindings: SignInBindingStore,
    private readonly signInCookies: SignInCookies,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /**
   * Validates everything a sign-in needs before any redirect and stores the pending sign-in; answers
   * a start link (`authorizeUrl`, a Flow URL) that binds the sign-in to the browser opening it.
   */
  async start(principal: Principal, body: Record<string, unknown>): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
    const { type, provider: providerName, label, params, scopes, redirectUrl } = body;
    const problems: string[] = [];
    if (typeof type !== 'string' || !type) problems.push('type is required');
    if (typeof providerName !== 'string' || !providerName) problems.push('provider is required');
    const labelIssue = labelProblem(label);
    if (labelIssue) problems.push(labelIssue);
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) problems.push('params must be an object of strings');
    if (scopes !== undefined && (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || !/^[\x21-\x7e]+$/.test(s)))) {
      problems.push('scopes must be an array of scope strings');
    }
    if (redirectUrl !== undefined && !this.isAllowedRedirect(redirectUrl)) {
      problems.push('redirectUrl must be on an allowed origin (FLOW_ALLOWED_REDIRECT_ORIGINS)');
    }
    if (problems.length > 0) throw new ApiError(400, 'invalid_request', problems.join('; '), { problems });

    const provider = this.registry.get(type as string, providerName as string);
    if (!provider) throw new ApiError(404, 'provider_not_found', `No OAuth provider "${String(providerName)}" is loaded for connector type "${String(type)}".`);
    if (await this.dataSource.getRepository(ConnectorEntity).existsBy({ label: label as string })) {
      throw new ApiError(409, 'label_taken', `A connector labelled "${String(label)}" already exists; labels are unique across all connectors.`);
    }
    const rawParams = (params ?? {}) as Record<string, unknown>;
    const checked = validateConnectionParams(provider, rawParams);
    if (checked.errors.length > 0) {
      throw new ApiError(400, 'invalid_params', checked.errors.map((e) => `${e.param}: ${e.message}`).join('; '), { problems: checked.errors });
    }

    const pending: PendingAuthorization = {
      type: provider.type,
      providerId: provider.id,
      providerName: provider.name,
      providerFingerprint: provider.fingerprint,
      label: label as string,
      owner: ownerName(principal),
      params: checked.values,
      scope: '',
      redirectUrl: redirectUrl as string | undefined,
      createdAt: nowIso(),
    };
    try {
      if (provider.definition.oauth_type === 'OAuth1') {
        const request = await this.oauth.oauth1RequestToken(provider, { callbackUrl: this.config.returnUrl, scopes: scopes as string[] | undefined, connectionParams: checked.values });
        const expiresAt = await this.states.save(request.token, { ...pending, oauth1TokenSecret: request.tokenSecret, authorizeUrl: request.authorizeUrl });
        return await this.startLink(request.token, expiresAt);
      }
      const state = AuthorizationStateStore.newState();
      const built = this.oauth.buildAuthorizationUrl(provider, { state, connectionParams: checked.values, scopes: scopes as string[] | undefined });
      const expiresAt = await this.states.save(state, { ...pending, scope: built.scope, codeVerifier: built.codeVerifier, authorizeUrl: built.url });
      return await this.startLink(state, expiresAt);
    } catch (error) {
      throw providerFailure(error, 'starting the sign-in');
    }
  }

  /** The single-use start link of a stored sign-in; it lives no longer than the state. */
  private async startLink(state: string, expiresAt: Date): Promise<{ authorizeUrl: string; state: string; expiresAt: string }> {
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
    // The id comes first: the tokens are sealed bound to the connector's row.
    const id = randomUUID();
    try {
      let values: Partial<ConnectorEntity>;
      if (isOAuth1) {
        const verifier = q('oauth_verifier');
        if (!verifier) return failure(400, 'missing_verifier', 'The sign-in response has no oauth_verifier.', redirectUrl);
        const access = await this.oauth.oauth1AccessToken(provider, { token: stateValue, tokenSecret: pending.oauth1TokenSecret ?? '', verifier, connectionParams: pending.params });
        values = {
          ...this.tokens.columns(id, { accessToken: access.token, tokenType: 'OAuth1', expiresAt: null, refreshToken: access.tokenSecret, metadata: {} }, null),
          metadata: JSON.stringify(access.metadata),
        };
      } else {
        const code = q('code');
        if (!code) return failure(400, 'missing_code', 'The sign-in response has no authorization code.', redirectUrl);
        const tokens = await this.oauth.exchangeCode(provider, { code, codeVerifier: pending.codeVerifier, connectionParams: pending.params, scope: pending.scope });
        // Keep the requested scope: refreshes must ask for the same (Microsoft templates name {scope}).
        values = { ...this.tokens.columns(id, { ...tokens, scope: pending.scope || tokens.scope }, null), metadata: JSON.stringify(tokens.metadata) };
      }
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
      await this.producer.schedule(connector, 'created').catch((e: Error) => this.logger.error(`refresh job for ${connector.id} not scheduled (the sweep will): ${e.message}`));
      return { ok: true, connector: toConnectorView(connector), redirectUrl };
    } catch (error) {
      const failed = providerFailure(error, 'finishing the sign-in');
      return failure(failed.getStatus(), failed.code, failed.message, redirectUrl);
    }
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

  private isAllowedRedirect(url: unknown): boolean {
    if (typeof url !== 'string') return false;
    try {
      const origin = new URL(url).origin;
      return this.config.allowedRedirectOrigins.some((allowed) => allowed.replace(/\/+$/, '') === origin);
    } catch {
      return false;
    }
  }
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
