import type { TemplateContext } from '@flow-oauth/connector-definitions';
import type { HttpRequest } from './http-transport';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';
import { endpointUrl, pairsOf } from './template-variables';

type Pairs = Array<[string, string]>;

function pair(key: string, value: string): string {
  return JSON.stringify({ [key]: value });
}

/** The code-exchange body when a definition has no `oauth2_token_data`. */
export const STANDARD_TOKEN_DATA: readonly string[] = [
  pair('grant_type', 'authorization_code'),
  pair('code', '{code}'),
  pair('redirect_uri', '{redirect_uri}'),
  pair('client_id', '{client_id}'),
  pair('client_secret', '{client_secret}'),
  pair('code_verifier', '{code_verifier}'),
];

/** The refresh body when a definition has no `oauth2_refresh_data` (scope is added only when the caller gives one). */
export const STANDARD_REFRESH_DATA: readonly string[] = [
  pair('grant_type', 'refresh_token'),
  pair('refresh_token', '{refresh_token}'),
  pair('client_id', '{client_id}'),
  pair('client_secret', '{client_secret}'),
];

/** Adds a pair unless the key is already there or the value is empty. */
export function addIfAbsent(pairs: Pairs, key: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  if (!pairs.some(([existing]) => existing === key)) pairs.push([key, value]);
}

/** `oauth2_include` values, added to authorize, token and refresh requests where the templates do not set them. */
export function addIncludes(provider: ProviderRecord, pairs: Pairs, ctx: TemplateContext): void {
  for (const [key, value] of pairsOf(provider.definition.oauth2_include, ctx, 'oauth2_include values')) addIfAbsent(pairs, key, value);
}

/** How the client authenticates at the token endpoint (default client_secret_post). */
export function clientAuthMethod(provider: ProviderRecord): 'client_secret_post' | 'client_secret_basic' {
  return provider.definition.oauth2_client_auth === 'client_secret_basic' ? 'client_secret_basic' : 'client_secret_post';
}

// RFC 6749 section 2.3.1: client id and secret are form-urlencoded before base64.
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** `Authorization: Basic` for client_secret_basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/**
 * Applies the client authentication: client_secret_basic moves the secret into an Authorization header
 * (and removes it from the body, where a template may have put it); client_secret_post makes sure
 * client_id and client_secret are in the body.
 */
export function applyClientAuth(provider: ProviderRecord, pairs: Pairs, headers: Record<string, string>, ctx: TemplateContext): void {
  const clientId = ctx.variables['client_id'];
  const clientSecret = ctx.variables['client_secret'];
  if (clientAuthMethod(provider) === 'client_secret_basic') {
    for (let i = pairs.length - 1; i >= 0; i--) if (pairs[i][0] === 'client_secret') pairs.splice(i, 1);
    if (!clientId || !clientSecret) throw new OAuthProtocolError('config', 'client_secret_basic needs a client id and a client secret');
    headers['Authorization'] = basicAuthorization(clientId, clientSecret);
    return;
  }
  addIfAbsent(pairs, 'client_id', clientId);
  addIfAbsent(pairs, 'client_secret', clientSecret);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Sets a header, replacing any spelling of the same name; `config` error on a name or value HTTP cannot carry. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  if (!HEADER_NAME.test(name)) throw new OAuthProtocolError('config', `header name ${JSON.stringify(name).slice(0, 60)} is not valid`);
  // eslint-disable-next-line no-control-regex -- CR, LF and NUL would split or end a header
  if (/[\r\n\u0000]/.test(value)) throw new OAuthProtocolError('config', `header ${name} has a value HTTP cannot carry`);
  for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
  headers[name] = value;
}

function tokenHeaders(provider: ProviderRecord, ctx: TemplateContext): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
    'User-Agent': 'flow-oauth',
  };
  for (const [name, value] of pairsOf(provider.definition.oauth2_token_headers, ctx, 'token request headers')) setHeader(headers, name, value);
  return headers;
}

function formRequest(url: string, pairs: Pairs, headers: Record<string, string>): HttpRequest {
  return { method: 'POST', url, headers, body: new URLSearchParams(pairs).toString() };
}

/**
 * The code exchange: `oauth2_token_data` (else the standard body) plus `code` and `code_verifier` where
 * the templates do not set them, `oauth2_include` values, and the client authentication.
 */
export function buildCodeExchangeRequest(provider: ProviderRecord, ctx: TemplateContext): HttpRequest {
  const url = endpointUrl(provider, 'token', ctx);
  const def = provider.definition;
  const pairs = pairsOf(def.oauth2_token_data ?? [...STANDARD_TOKEN_DATA], ctx, 'token request body');
  addIfAbsent(pairs, 'grant_type', 'authorization_code');
  addIfAbsent(pairs, 'code', ctx.variables['code']);
  addIfAbsent(pairs, 'code_verifier', ctx.variables['code_verifier']);
  addIncludes(provider, pairs, ctx);
  const headers = tokenHeaders(provider, ctx);
  applyClientAuth(provider, pairs, headers, ctx);
  return formRequest(url, pairs, headers);
}

/**
 * The refresh: POST to `oauth2_refresh_url` (default the token URL) with `oauth2_refresh_data` (else the
 * standard body, plus `scope` when the caller gives one), `oauth2_include` values and the client authentication.
 */
export function buildRefreshRequest(provider: ProviderRecord, ctx: TemplateContext, explicitScope: string | undefined): HttpRequest {
  const url = endpointUrl(provider, 'refresh', ctx);
  const def = provider.definition;
  const pairs = pairsOf(def.oauth2_refresh_data ?? [...STANDARD_REFRESH_DATA], ctx, 'refresh request body');
  addIfAbsent(pairs, 'grant_type', 'refresh_token');
  addIfAbsent(pairs, 'refresh_token', ctx.variables['refresh_token']);
  if (def.oauth2_refresh_data === undefined) addIfAbsent(pairs, 'scope', explicitScope);
  addIncludes(provider, pairs, ctx);
  const headers = tokenHeaders(provider, ctx);
  applyClientAuth(provider, pairs, headers, ctx);
  return formRequest(url, pairs, headers);
}
