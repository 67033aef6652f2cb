import type { ConnectorDefinition, TemplateContext } from '@flow-oauth/connector-definitions';
import { buildAuthorizationUrlFrom, createPkce, pkceMethod } from './authorization-url';
import { prefixProblem, segmentProblem, urlUses } from './connection-params';
import { type HttpRequest, type HttpResponse, HttpTransport, TransportError } from './http-transport';
import { oauth1AuthorizationHeader, type OAuth1Credentials } from './oauth1-signature';
import { OAuthProtocolError, classifyProviderFailure, parseRetryAfter, redact, sanitizeErrorCode } from './oauth-protocol-error';
import type { OAuthClientOptions, ProviderRecord, TokenSet } from './provider-record';
import { joinScopes, resolveScopes } from './scopes';
import { basicAuthorization, buildCodeExchangeRequest, buildRefreshRequest, setHeader } from './token-request';
import { parseResponseBody, parseTokenResponse, withoutTokens } from './token-response';
import {
  type RuntimeValues,
  stepContext,
  endpointTemplate,
  pairsOf,
  renderUrl,
  stringParameters,
} from './template-variables';

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const BEARER_HEADER = JSON.stringify({ Authorization: 'Bearer {access_token}' });

export interface AuthorizationUrlRequest {
  state: string;
  connectionParams: Record<string, string>;
  scopes?: string[];
}

export interface AuthorizationUrlResult {
  url: string;
  /** Keep it with the state; the code exchange needs it. Absent when the definition disables PKCE. */
  codeVerifier?: string;
  /** The requested scope string (pass it to exchangeCode / refresh). */
  scope: string;
}

export interface CodeExchangeRequest {
  code: string;
  codeVerifier?: string;
  connectionParams: Record<string, string>;
  /** The `scope` returned by buildAuthorizationUrl, for definitions whose token body names the scope (Microsoft). */
  scope?: string;
}

export interface RefreshRequest {
  refreshToken: string;
  connectionParams: Record<string, string>;
  /** The requested scope string (from buildAuthorizationUrl); defaults to the provider's default scopes in templates. */
  scope?: string;
}

export interface RevokeRequest {
  accessToken?: string;
  refreshToken?: string;
  connectionParams: Record<string, string>;
}

export interface RevokeResult {
  revoked: boolean;
  detail: string;
}

export interface ValidateRequest {
  accessToken: string;
  connectionParams: Record<string, string>;
  /** OAuth 1.0a only: the token secret, to sign the validation call. */
  tokenSecret?: string;
}

export interface ValidateResult {
  ok: boolean;
  status?: number;
  detail: string;
}

export interface OAuth1RequestTokenRequest {
  callbackUrl: string;
  scopes?: string[];
  connectionParams?: Record<string, string>;
}

export interface OAuth1RequestTokenResult {
  token: string;
  tokenSecret: string;
  authorizeUrl: string;
}

export interface OAuth1AccessTokenRequest {
  token: string;
  tokenSecret: string;
  verifier: string;
  connectionParams?: Record<string, string>;
}

export interface OAuth1AccessTokenResult {
  token: string;
  tokenSecret: string;
  metadata: Record<string, unknown>;
}

type OAuth1UrlField = 'oauth1_request_token_url' | 'oauth1_authorize_url' | 'oauth1_access_token_url' | 'oauth1_revoke_url';

/**
 * The one protocol client: authorize URL, code exchange, refresh, revoke and validate for OAuth 2, and
 * the three legs of OAuth 1.0a, all driven by the provider's definition. It never logs; its errors are
 * OAuthProtocolError and never carry a secret or token.
 */
export class OAuthClient {
  private readonly transport: HttpTransport;

  constructor(private readonly options: OAuthClientOptions) {
    this.transport = new HttpTransport({
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
  }

  /** Builds the URL the user's browser is sent to, with a fresh PKCE verifier unless the definition disables PKCE. */
  buildAuthorizationUrl(provider: ProviderRecord, req: AuthorizationUrlRequest): AuthorizationUrlResult {
    assertOAuth2(provider);
    assertConnectionParamsSafe(provider, req.connectionParams);
    const scope = joinScopes(provider, resolveScopes(provider, req.scopes));
    const method = pkceMethod(provider);
    const pkce = method ? createPkce(method) : undefined;
    const ctx = this.context(provider, req.connectionParams, {
      scope,
      state: req.state,
      ...(pkce && method ? { code_verifier: pkce.verifier, code_challenge: pkce.challenge, code_challenge_method: method } : {}),
    });
    const url = buildAuthorizationUrlFrom(provider, ctx);
    return pkce ? { url, codeVerifier: pkce.verifier, scope } : { url, scope };
  }

  /** Exchanges an authorization code for tokens. */
  async exchangeCode(provider: ProviderRecord, req: CodeExchangeRequest): Promise<TokenSet> {
    assertOAuth2(provider);
    assertConnectionParamsSafe(provider, req.connectionParams);
    const scope = req.scope ?? joinScopes(provider, resolveScopes(provider, undefined));
    const ctx = this.context(provider, req.connectionParams, { code: req.code, code_verifier: req.codeVerifier, scope });
    const request = buildCodeExchangeRequest(provider, ctx);
    const secrets = secretValues(provider, ctx);
    const response = await this.send(request, 'code exchange');
    return parseTokenResponse(provider.definition, response, 'code exchange', secrets);
  }

  /** Refreshes an access token. A missing refresh_token in the answer is left undefined: keep the old one. */
  async refresh(provider: ProviderRecord, req: RefreshRequest): Promise<TokenSet> {
    assertOAuth2(provider);
    assertConnectionParamsSafe(provider, req.connectionParams);
    const scope = req.scope ?? joinScopes(provider, resolveScopes(provider, undefined));
    const ctx = this.context(provider, req.connectionParams, { refresh_token: req.refreshToken, scope });
    const request = buildRefreshRequest(provider, ctx, req.scope);
    const secrets = secretValues(provider, ctx);
    const response = await this.send(request, 'refresh');
    return parseTokenResponse(provider.definition, response, 'refresh', secrets);
  }

  /**
   * Revokes at the provider where the definition has a revocation endpoint: the refresh token first (it
   * ends the grant), then the access token. Never throws for a provider failure; the result says what happened.
   */
  async revoke(provider: ProviderRecord, req: RevokeRequest): Promise<RevokeResult> {
    try {
      assertConnectionParamsSafe(provider, req.connectionParams);
      if (provider.definition.oauth_type === 'OAuth1') return await this.revokeOAuth1(provider, req);
      const template = endpointTemplate(provider, 'revoke');
      if (template === undefined) return { revoked: false, detail: 'provider has no revocation endpoint' };
      const method = provider.definition.oauth2_revoke_method ?? 'post_form';
      const targets: Array<{ label: string; hint: 'refresh_token' | 'access_token'; token: string }> = [];
      const bearerOnly = method === 'delete_bearer' || method === 'post_bearer' || method === 'delete_basic_json';
      if (req.refreshToken && !bearerOnly) targets.push({ label: 'refresh token', hint: 'refresh_token', token: req.refreshToken });
      if (req.accessToken) targets.push({ label: 'access token', hint: 'access_token', token: req.accessToken });
      if (targets.length === 0) {
        return { revoked: false, detail: bearerOnly ? 'this provider revokes with the access token, and there is none' : 'no token to revoke' };
      }
      const details: string[] = [];
      let allRevoked = true;
      for (const target of targets) {
        const runtime: RuntimeValues = {
          token: target.token,
          access_token: req.accessToken,
          refresh_token: req.refreshToken,
        };
        const ctx = this.context(provider, req.connectionParams, runtime);
        const url = renderUrl(provider, template, ctx, 'revocation URL');
        const request = revocationRequest(provider, method, url, target, ctx);
        const outcome = await this.attempt(request, secretValues(provider, ctx));
        if (outcome.ok) {
          details.push(`${target.label} revoked`);
        } else {
          allRevoked = false;
          details.push(`${target.label} not revoked: ${outcome.detail}`);
        }
      }
      return { revoked: allRevoked, detail: details.join('; ') };
    } catch (error: unknown) {
      if (error instanceof OAuthProtocolError) return { revoked: false, detail: error.message };
      throw error;
    }
  }

  /** Tests an access token with a GET to the validation endpoint (`oauth2_validate_url` or VALIDATE_URL); 2xx is ok. */
  async validate(provider: ProviderRecord, req: ValidateRequest): Promise<ValidateResult> {
    assertConnectionParamsSafe(provider, req.connectionParams);
    const template = endpointTemplate(provider, 'validate');
    if (template === undefined) return { ok: false, detail: 'provider has no validation endpoint' };
    const ctx = this.context(provider, req.connectionParams, { access_token: req.accessToken, token: req.accessToken });
    const url = renderUrl(provider, template, ctx, 'validation URL');
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'flow-oauth' };
    const headerTemplates = provider.definition.oauth2_validate_headers ?? [BEARER_HEADER];
    for (const [name, value] of pairsOf(headerTemplates, ctx, 'validation headers')) setHeader(headers, name, value);
    if (provider.definition.oauth_type === 'OAuth1' && req.tokenSecret !== undefined) {
      const credentials = { ...oauth1Consumer(provider, ctx), token: req.accessToken, tokenSecret: req.tokenSecret };
      headers['Authorization'] = oauth1AuthorizationHeader(credentials, { method: 'GET', url });
    }
    const outcome = await this.attempt({ method: 'GET', url, headers }, [...secretValues(provider, ctx), req.tokenSecret]);
    return outcome.ok
      ? { ok: true, status: outcome.status, detail: `provider accepted the access token (${outcome.status})` }
      : { ok: false, status: outcome.status, detail: outcome.detail };
  }

  /** OAuth 1.0a leg 1: a signed request for temporary credentials, and the URL to send the user to. */
  async oauth1RequestToken(provider: ProviderRecord, req: OAuth1RequestTokenRequest): Promise<OAuth1RequestTokenResult> {
    assertOAuth1(provider);
    const connectionParams = req.connectionParams ?? {};
    assertConnectionParamsSafe(provider, connectionParams);
    const scope = joinScopes(provider, resolveScopes(provider, req.scopes));
    const ctx = this.context(provider, connectionParams, { scope });
    const credentials = oauth1Consumer(provider, ctx);
    const url = oauth1Url(provider, 'oauth1_request_token_url', ctx);
    const secrets = [credentials.consumerSecret];
    const response = await this.send(signedPost(credentials, url, { oauth_callback: req.callbackUrl }), 'request-token request');
    const body = oauth1Answer(response, 'request-token request', secrets);
    const token = body['oauth_token'];
    const tokenSecret = body['oauth_token_secret'];
    if (typeof token !== 'string' || token === '' || typeof tokenSecret !== 'string' || tokenSecret === '') {
      throw new OAuthProtocolError('rejected', 'request-token request failed: the answer has no oauth_token / oauth_token_secret', { status: response.status });
    }
    // RFC 5849 section 2.1: a server that did not confirm the callback is not an OAuth 1.0a server.
    if (body['oauth_callback_confirmed'] !== 'true') {
      throw new OAuthProtocolError('rejected', 'request-token request failed: the provider did not confirm the callback (oauth_callback_confirmed)', {
        status: response.status,
      });
    }
    const authorize = new URL(oauth1Url(provider, 'oauth1_authorize_url', ctx));
    authorize.searchParams.set('oauth_token', token);
    for (const [key, value] of pairsOf(provider.definition.oauth1_auth_query, ctx, 'authorize query')) {
      if (!authorize.searchParams.has(key)) authorize.searchParams.append(key, value);
    }
    return { token, tokenSecret, authorizeUrl: authorize.toString() };
  }

  /** OAuth 1.0a leg 3: exchanges the authorized request token and verifier for token credentials. */
  async oauth1AccessToken(provider: ProviderRecord, req: OAuth1AccessTokenRequest): Promise<OAuth1AccessTokenResult> {
    assertOAuth1(provider);
    const connectionParams = req.connectionParams ?? {};
    assertConnectionParamsSafe(provider, connectionParams);
    const ctx = this.context(provider, connectionParams, {});
    const consumer = oauth1Consumer(provider, ctx);
    const credentials: OAuth1Credentials = { ...consumer, token: req.token, tokenSecret: req.tokenSecret };
    const url = oauth1Url(provider, 'oauth1_access_token_url', ctx);
    const secrets = [consumer.consumerSecret, req.token, req.tokenSecret, req.verifier];
    const response = await this.send(signedPost(credentials, url, { oauth_verifier: req.verifier }), 'access-token request');
    const body = oauth1Answer(response, 'access-token request', secrets);
    const token = body['oauth_token'];
    const tokenSecret = body['oauth_token_secret'];
    if (typeof token !== 'string' || token === '' || typeof tokenSecret !== 'string' || tokenSecret === '') {
      throw new OAuthProtocolError('rejected', 'access-token request failed: the answer has no oauth_token / oauth_token_secret', { status: response.status });
    }
    const metadata = withoutTokens(body) as Record<string, unknown>;
    return { token, tokenSecret, metadata };
  }

  /** Closes idle keep-alive connections (call on shutdown). */
  close(): void {
    this.transport.close();
  }

  private context(provider: ProviderRecord, connectionParams: Record<string, string>, runtime: RuntimeValues): TemplateContext {
    return stepContext(provider, this.options.env, this.options.returnUrl, connectionParams, runtime);
  }

  private async revokeOAuth1(provider: ProviderRecord, req: RevokeRequest): Promise<RevokeResult> {
    if (typeof provider.definition.oauth1_revoke_url !== 'string' || provider.definition.oauth1_revoke_url === '') {
      return { revoked: false, detail: 'provider has no revocation endpoint' };
    }
    if (!req.accessToken) return { revoked: false, detail: 'no token to revoke' };
    const ctx = this.context(provider, req.connectionParams, { token: req.accessToken, access_token: req.accessToken });
    const url = oauth1Url(provider, 'oauth1_revoke_url', ctx);
    const outcome = await this.attempt({ method: 'DELETE', url, headers: { Accept: 'application/json', 'User-Agent': 'flow-oauth' } }, secretValues(provider, ctx));
    return outcome.ok ? { revoked: true, detail: 'token revoked' } : { revoked: false, detail: `token not revoked: ${outcome.detail}` };
  }

  /** Sends a request whose failure is an error (token endpoints). */
  private async send(request: HttpRequest, what: string): Promise<HttpResponse> {
    try {
      return await this.transport.send(request);
    } catch (error: unknown) {
      throw transportFailure(error, what);
    }
  }

  /** Sends a request whose failure is a result (revoke, validate). */
  private async attempt(request: HttpRequest, secrets: ReadonlyArray<string | undefined>): Promise<{ ok: boolean; status?: number; detail: string }> {
    let response: HttpResponse;
    try {
      response = await this.transport.send(request);
    } catch (error: unknown) {
      if (error instanceof TransportError) return { ok: false, detail: `provider unreachable: ${error.message}` };
      throw error;
    }
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, detail: `provider answered ${response.status}` };
    const body = parseResponseBody(response);
    const code = sanitizeErrorCode(body?.['error']);
    const description = body?.['error_description'];
    const text = typeof description === 'string' && description !== '' ? `: ${redact(description, secrets)}` : '';
    return { ok: false, status: response.status, detail: `provider answered ${response.status}${code ? ` ${code}` : ''}${text}` };
  }
}

function assertOAuth2(provider: ProviderRecord): void {
  if (provider.definition.oauth_type === 'OAuth1') {
    throw new OAuthProtocolError('config', `${provider.type} uses OAuth 1.0a: use oauth1RequestToken / oauth1AccessToken`);
  }
}

function assertOAuth1(provider: ProviderRecord): void {
  if (provider.definition.oauth_type !== 'OAuth1') throw new OAuthProtocolError('config', `${provider.type} does not use OAuth 1.0a`);
}

/** Connection parameters are checked again at use: a stored value must still be unable to bend a URL. */
function assertConnectionParamsSafe(provider: ProviderRecord, connectionParams: Record<string, string>): void {
  const uses = urlUses(provider);
  for (const [key, value] of Object.entries(connectionParams)) {
    const use = uses.get(key);
    if (!use) continue;
    if (typeof value !== 'string') throw new OAuthProtocolError('config', `connection parameter ${key} must be a string`);
    const problem = (use.segment ? segmentProblem(value) : undefined) ?? (use.prefix ? prefixProblem(value) : undefined);
    if (problem) throw new OAuthProtocolError('config', `connection parameter ${key} ${problem}`);
  }
}

const SECRET_VARIABLES = ['client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token', 'token'];

/** Every value of a request that must never be echoed: redacted from provider text before it reaches a message. */
function secretValues(provider: ProviderRecord, ctx: TemplateContext): string[] {
  const values: string[] = Object.values(provider.secrets).filter((value) => typeof value === 'string' && value !== '');
  for (const name of SECRET_VARIABLES) {
    const value = ctx.variables[name];
    if (value) values.push(value);
  }
  return values;
}

function transportFailure(error: unknown, what: string): unknown {
  if (!(error instanceof TransportError)) return error;
  if (error.reason === 'invalid_url' || error.reason === 'invalid_request') return new OAuthProtocolError('config', `${what} failed: ${error.message}`);
  if (error.reason === 'too_large') return new OAuthProtocolError('rejected', `${what} failed: ${error.message}`);
  return new OAuthProtocolError('transient', `${what} failed: ${error.message}`);
}

function revocationRequest(
  provider: ProviderRecord,
  method: NonNullable<ConnectorDefinition['oauth2_revoke_method']>,
  url: string,
  target: { hint: 'refresh_token' | 'access_token'; token: string },
  ctx: TemplateContext,
): HttpRequest {
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'flow-oauth' };
  switch (method) {
    case 'delete_bearer':
      return { method: 'DELETE', url, headers: { ...headers, Authorization: `Bearer ${target.token}` } };
    case 'post_bearer':
      return { method: 'POST', url, headers: { ...headers, Authorization: `Bearer ${target.token}` } };
    case 'delete_basic_json': {
      const clientId = ctx.variables['client_id'];
      const clientSecret = ctx.variables['client_secret'];
      if (!clientId || !clientSecret) throw new OAuthProtocolError('config', 'revocation needs a client id and a client secret');
      return {
        method: 'DELETE',
        url,
        headers: { ...headers, Authorization: basicAuthorization(clientId, clientSecret), 'Content-Type': 'application/json' },
        body: JSON.stringify({ access_token: target.token }),
      };
    }
    case 'post_form':
    case 'post_form_client_auth':
    default: {
      // RFC 7009: token + token_type_hint, form-encoded; with the client authentication when the method says so.
      const pairs: Array<[string, string]> = [
        ['token', target.token],
        ['token_type_hint', target.hint],
      ];
      const formHeaders: Record<string, string> = { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' };
      if (method === 'post_form_client_auth') {
        const clientId = ctx.variables['client_id'];
        const clientSecret = ctx.variables['client_secret'];
        if (!clientId || !clientSecret) throw new OAuthProtocolError('config', 'revocation needs a client id and a client secret');
        if (provider.definition.oauth2_client_auth === 'client_secret_basic') {
          formHeaders['Authorization'] = basicAuthorization(clientId, clientSecret);
        } else {
          pairs.push(['client_id', clientId], ['client_secret', clientSecret]);
        }
      }
      return { method: 'POST', url, headers: formHeaders, body: new URLSearchParams(pairs).toString() };
    }
  }
}

/** The consumer key and secret: CONSUMER_KEY / CONSUMER_SECRET, overridable by `env_<env>_params` (consumer_key, consumer_secret). */
function oauth1Consumer(provider: ProviderRecord, ctx: TemplateContext): OAuth1Credentials {
  const parameters = stringParameters(provider);
  const consumerKey = ctx.variables['consumer_key'] ?? parameters['CONSUMER_KEY'] ?? ctx.variables['client_id'];
  const consumerSecret = ctx.variables['consumer_secret'] ?? provider.secrets['CONSUMER_SECRET'] ?? ctx.variables['client_secret'];
  if (!consumerKey || !consumerSecret) throw new OAuthProtocolError('config', `${provider.type} needs CONSUMER_KEY and CONSUMER_SECRET`);
  return { consumerKey, consumerSecret };
}

function oauth1Url(provider: ProviderRecord, field: OAuth1UrlField, ctx: TemplateContext): string {
  const template = provider.definition[field];
  if (typeof template !== 'string' || template === '') throw new OAuthProtocolError('config', `provider has no ${field}`);
  return renderUrl(provider, template, ctx, field.replace(/_/g, ' '));
}

function signedPost(credentials: OAuth1Credentials, url: string, extra: Record<string, string>): HttpRequest {
  return {
    method: 'POST',
    url,
    headers: {
      Authorization: oauth1AuthorizationHeader(credentials, { method: 'POST', url, extra }),
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'flow-oauth',
    },
    body: '',
  };
}

const OAUTH1_INVALID_GRANT = new Set(['token_expired', 'token_rejected', 'token_revoked', 'token_used', 'verifier_invalid', 'permission_denied']);
const OAUTH1_INVALID_CLIENT = new Set(['consumer_key_unknown', 'consumer_key_rejected', 'consumer_key_refused', 'signature_invalid', 'signature_method_rejected']);

/** Reads an OAuth 1.0a token answer (form-encoded); classifies failures, including the oauth_problem extension. */
function oauth1Answer(response: HttpResponse, what: string, secrets: ReadonlyArray<string | undefined>): Record<string, unknown> {
  const body = parseResponseBody(response);
  if (response.status >= 200 && response.status < 300 && body) return body;
  const problem = sanitizeErrorCode(body?.['oauth_problem'] ?? body?.['error']);
  let kind = classifyProviderFailure(response.status, problem);
  if (problem && OAUTH1_INVALID_GRANT.has(problem)) kind = 'invalid_grant';
  if (problem && OAUTH1_INVALID_CLIENT.has(problem)) kind = 'invalid_client';
  const retryAfterSeconds = kind === 'transient' ? parseRetryAfter(response.headers['retry-after']) : undefined;
  const advice = body?.['oauth_problem_advice'];
  const text = typeof advice === 'string' && advice !== '' ? `: ${redact(advice, secrets)}` : '';
  throw new OAuthProtocolError(kind, `${what} failed: provider answered ${response.status}${problem ? ` ${problem}` : ''}${text}`, {
    status: response.status,
    providerError: problem,
    retryAfterSeconds,
  });
}
