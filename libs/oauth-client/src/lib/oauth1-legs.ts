import type { TemplateContext } from '@flow-oauth/connector-definitions';
import { assertConnectionParamsSafe } from './connection-params';
import type { HttpRequest, HttpResponse } from './http-transport';
import type { OAuth1AccessTokenRequest, OAuth1AccessTokenResult, OAuth1RequestTokenRequest, OAuth1RequestTokenResult, RevokeRequest, RevokeResult } from './oauth-client-requests';
import { OAuthProtocolError, classifyProviderFailure, parseRetryAfter, redact, sanitizeErrorCode } from './oauth-protocol-error';
import { oauth1AuthorizationHeader, type OAuth1Credentials } from './oauth1-signature';
import { type ProviderCalls, secretValues } from './provider-calls';
import type { ProviderRecord } from './provider-record';
import { joinScopes, resolveScopes } from './scopes';
import { pairsOf, renderUrl, stringParameters } from './template-variables';
import { parseResponseBody, withoutTokens } from './token-response';

/** The OAuth 1.0a legs (RFC 5849): temporary credentials, token credentials, and revocation where a provider has it. */

type OAuth1UrlField = 'oauth1_request_token_url' | 'oauth1_authorize_url' | 'oauth1_access_token_url' | 'oauth1_revoke_url';

const OAUTH1_INVALID_GRANT = new Set(['token_expired', 'token_rejected', 'token_revoked', 'token_used', 'verifier_invalid', 'permission_denied']);
const OAUTH1_INVALID_CLIENT = new Set(['consumer_key_unknown', 'consumer_key_rejected', 'consumer_key_refused', 'signature_invalid', 'signature_method_rejected']);

/** Refuses an OAuth 1.0a call for a provider that does not use OAuth 1.0a. */
export function assertOAuth1(provider: ProviderRecord): void {
  if (provider.definition.oauth_type !== 'OAuth1') throw new OAuthProtocolError('config', `${provider.type} does not use OAuth 1.0a`);
}

/** Leg 1: a signed request for temporary credentials, and the URL to send the user to. */
export async function requestOAuth1Token(calls: ProviderCalls, provider: ProviderRecord, req: OAuth1RequestTokenRequest): Promise<OAuth1RequestTokenResult> {
  assertOAuth1(provider);
  const connectionParams = req.connectionParams ?? {};
  assertConnectionParamsSafe(provider, connectionParams);
  const scope = joinScopes(provider, resolveScopes(provider, req.scopes));
  const ctx = calls.context(provider, connectionParams, { scope });
  const credentials = oauth1Consumer(provider, ctx);
  const url = oauth1Url(provider, 'oauth1_request_token_url', ctx);
  const secrets = [credentials.consumerSecret];
  const response = await calls.send(signedPost(credentials, url, { oauth_callback: req.callbackUrl }), 'request-token request');
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

/** Leg 3: exchanges the authorized request token and verifier for token credentials. */
export async function exchangeOAuth1Verifier(calls: ProviderCalls, provider: ProviderRecord, req: OAuth1AccessTokenRequest): Promise<OAuth1AccessTokenResult> {
  assertOAuth1(provider);
  const connectionParams = req.connectionParams ?? {};
  assertConnectionParamsSafe(provider, connectionParams);
  const ctx = calls.context(provider, connectionParams, {});
  const consumer = oauth1Consumer(provider, ctx);
  const credentials: OAuth1Credentials = { ...consumer, token: req.token, tokenSecret: req.tokenSecret };
  const url = oauth1Url(provider, 'oauth1_access_token_url', ctx);
  const secrets = [consumer.consumerSecret, req.token, req.tokenSecret, req.verifier];
  const response = await calls.send(signedPost(credentials, url, { oauth_verifier: req.verifier }), 'access-token request');
  const body = oauth1Answer(response, 'access-token request', secrets);
  const token = body['oauth_token'];
  const tokenSecret = body['oauth_token_secret'];
  if (typeof token !== 'string' || token === '' || typeof tokenSecret !== 'string' || tokenSecret === '') {
    throw new OAuthProtocolError('rejected', 'access-token request failed: the answer has no oauth_token / oauth_token_secret', { status: response.status });
  }
  const metadata = withoutTokens(body) as Record<string, unknown>;
  return { token, tokenSecret, metadata };
}

/** Revokes an OAuth 1.0a access token with a DELETE to `oauth1_revoke_url` (Trello's way), where the provider has one. */
export async function revokeOAuth1Token(calls: ProviderCalls, provider: ProviderRecord, req: RevokeRequest): Promise<RevokeResult> {
  if (typeof provider.definition.oauth1_revoke_url !== 'string' || provider.definition.oauth1_revoke_url === '') {
    return { revoked: false, detail: 'provider has no revocation endpoint' };
  }
  if (!req.accessToken) return { revoked: false, detail: 'no token to revoke' };
  const ctx = calls.context(provider, req.connectionParams, { token: req.accessToken, access_token: req.accessToken });
  const url = oauth1Url(provider, 'oauth1_revoke_url', ctx);
  const outcome = await calls.attempt({ method: 'DELETE', url, headers: { Accept: 'application/json', 'User-Agent': 'flow-oauth' } }, secretValues(provider, ctx));
  return outcome.ok ? { revoked: true, detail: 'token revoked' } : { revoked: false, detail: `token not revoked: ${outcome.detail}` };
}

/** The consumer key and secret: CONSUMER_KEY / CONSUMER_SECRET, overridable by `env_<env>_params` (consumer_key, consumer_secret). */
export function oauth1Consumer(provider: ProviderRecord, ctx: TemplateContext): OAuth1Credentials {
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
