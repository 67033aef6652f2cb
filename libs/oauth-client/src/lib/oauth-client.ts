import { buildAuthorizationUrlFrom, createPkce, pkceMethod } from './authorization-url';
import { assertConnectionParamsSafe } from './connection-params';
import type {
  AuthorizationUrlRequest,
  AuthorizationUrlResult,
  CodeExchangeRequest,
  OAuth1AccessTokenRequest,
  OAuth1AccessTokenResult,
  OAuth1RequestTokenRequest,
  OAuth1RequestTokenResult,
  RefreshRequest,
  RevokeRequest,
  RevokeResult,
  ValidateRequest,
  ValidateResult,
} from './oauth-client-requests';
import { OAuthProtocolError } from './oauth-protocol-error';
import { exchangeOAuth1Verifier, oauth1Consumer, requestOAuth1Token } from './oauth1-legs';
import { oauth1AuthorizationHeader } from './oauth1-signature';
import { ProviderCalls, secretValues } from './provider-calls';
import type { OAuthClientOptions, ProviderRecord, TokenSet } from './provider-record';
import { joinScopes, resolveScopes } from './scopes';
import { endpointTemplate, pairsOf, renderUrl } from './template-variables';
import { revokeTokens } from './token-revocation';
import { buildCodeExchangeRequest, buildRefreshRequest, setHeader } from './token-request';
import { parseTokenResponse } from './token-response';

const BEARER_HEADER = JSON.stringify({ Authorization: 'Bearer {access_token}' });

/**
 * The one protocol client: authorize URL, code exchange, refresh, revoke and validate for OAuth 2, and
 * the three legs of OAuth 1.0a, all driven by the provider's definition. It never logs; its errors are
 * OAuthProtocolError and never carry a secret or token.
 */
export class OAuthClient {
  private readonly calls: ProviderCalls;

  constructor(options: OAuthClientOptions) {
    this.calls = new ProviderCalls(options);
  }

  /** Builds the URL the user's browser is sent to, with a fresh PKCE verifier unless the definition disables PKCE. */
  buildAuthorizationUrl(provider: ProviderRecord, req: AuthorizationUrlRequest): AuthorizationUrlResult {
    assertOAuth2(provider);
    assertConnectionParamsSafe(provider, req.connectionParams);
    const scope = joinScopes(provider, resolveScopes(provider, req.scopes));
    const method = pkceMethod(provider);
    const pkce = method ? createPkce(method) : undefined;
    const ctx = this.calls.context(provider, req.connectionParams, {
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
    const ctx = this.calls.context(provider, req.connectionParams, { code: req.code, code_verifier: req.codeVerifier, scope });
    const request = buildCodeExchangeRequest(provider, ctx);
    const secrets = secretValues(provider, ctx);
    const response = await this.calls.send(request, 'code exchange');
    return parseTokenResponse(provider.definition, response, 'code exchange', secrets);
  }

  /** Refreshes an access token. A missing refresh_token in the answer is left undefined: keep the old one. */
  async refresh(provider: ProviderRecord, req: RefreshRequest): Promise<TokenSet> {
    assertOAuth2(provider);
    assertConnectionParamsSafe(provider, req.connectionParams);
    const scope = req.scope ?? joinScopes(provider, resolveScopes(provider, undefined));
    const ctx = this.calls.context(provider, req.connectionParams, { refresh_token: req.refreshToken, scope });
    const request = buildRefreshRequest(provider, ctx, req.scope);
    const secrets = secretValues(provider, ctx);
    const response = await this.calls.send(request, 'refresh');
    return parseTokenResponse(provider.definition, response, 'refresh', secrets);
  }

  /**
   * Revokes at the provider where the definition has a revocation endpoint: the refresh token first (it
   * ends the grant), then the access token. Never throws for a provider failure; the result says what happened.
   */
  revoke(provider: ProviderRecord, req: RevokeRequest): Promise<RevokeResult> {
    return revokeTokens(this.calls, provider, req);
  }

  /** Tests an access token with a GET to the validation endpoint (`oauth2_validate_url` or VALIDATE_URL); 2xx is ok. */
  async validate(provider: ProviderRecord, req: ValidateRequest): Promise<ValidateResult> {
    assertConnectionParamsSafe(provider, req.connectionParams);
    const template = endpointTemplate(provider, 'validate');
    if (template === undefined) return { ok: false, detail: 'provider has no validation endpoint' };
    const ctx = this.calls.context(provider, req.connectionParams, { access_token: req.accessToken, token: req.accessToken });
    const url = renderUrl(provider, template, ctx, 'validation URL');
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'flow-oauth' };
    const headerTemplates = provider.definition.oauth2_validate_headers ?? [BEARER_HEADER];
    for (const [name, value] of pairsOf(headerTemplates, ctx, 'validation headers')) setHeader(headers, name, value);
    if (provider.definition.oauth_type === 'OAuth1' && req.tokenSecret !== undefined) {
      const credentials = { ...oauth1Consumer(provider, ctx), token: req.accessToken, tokenSecret: req.tokenSecret };
      headers['Authorization'] = oauth1AuthorizationHeader(credentials, { method: 'GET', url });
    }
    const outcome = await this.calls.attempt({ method: 'GET', url, headers }, [...secretValues(provider, ctx), req.tokenSecret]);
    return outcome.ok
      ? { ok: true, status: outcome.status, detail: `provider accepted the access token (${outcome.status})` }
      : { ok: false, status: outcome.status, detail: outcome.detail };
  }

  /** OAuth 1.0a leg 1: a signed request for temporary credentials, and the URL to send the user to. */
  oauth1RequestToken(provider: ProviderRecord, req: OAuth1RequestTokenRequest): Promise<OAuth1RequestTokenResult> {
    return requestOAuth1Token(this.calls, provider, req);
  }

  /** OAuth 1.0a leg 3: exchanges the authorized request token and verifier for token credentials. */
  oauth1AccessToken(provider: ProviderRecord, req: OAuth1AccessTokenRequest): Promise<OAuth1AccessTokenResult> {
    return exchangeOAuth1Verifier(this.calls, provider, req);
  }

  /** Closes idle keep-alive connections (call on shutdown). */
  close(): void {
    this.calls.close();
  }
}

function assertOAuth2(provider: ProviderRecord): void {
  if (provider.definition.oauth_type === 'OAuth1') {
    throw new OAuthProtocolError('config', `${provider.type} uses OAuth 1.0a: use oauth1RequestToken / oauth1AccessToken`);
  }
}
