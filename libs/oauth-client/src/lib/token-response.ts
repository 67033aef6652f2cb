import type { ConnectorDefinition } from '@flow-oauth/connector-definitions';
import type { HttpResponse } from './http-transport';
import { OAuthProtocolError, classifyProviderFailure, parseRetryAfter, redact, sanitizeErrorCode } from './oauth-protocol-error';
import type { TokenSet } from './provider-record';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads a JSON or form-encoded answer body into an object; undefined when it is neither. */
export function parseResponseBody(response: HttpResponse): Json | undefined {
  const contentType = String(response.headers['content-type'] ?? '').toLowerCase();
  const text = response.body.trim();
  if (text === '') return {};
  if (contentType.includes('json') || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return isObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  if (contentType.includes('html') || contentType.includes('xml') || text.startsWith('<')) return undefined;
  // GitHub (without Accept: application/json), OAuth 1.0a servers and older providers answer form-encoded.
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(text)) out[key] = value;
  return out;
}

/** Reads a dotted path (`authed_user`, `team.id`) from an object. */
export function readPath(source: Json, path: string): unknown {
  let current: unknown = source;
  for (const part of path.split('.')) {
    if (!isObject(current) || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

const TOKEN_KEYS = new Set(['access_token', 'refresh_token', 'id_token', 'client_secret', 'oauth_token', 'oauth_token_secret']);

/** A copy of a metadata value without any token-bearing key (metadata is shown in API answers). */
export function withoutTokens(value: unknown, depth = 0): unknown {
  if (depth > 8) return undefined;
  if (Array.isArray(value)) return value.map((item) => withoutTokens(item, depth + 1));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if (TOKEN_KEYS.has(key.toLowerCase())) continue;
    out[key] = withoutTokens(item, depth + 1);
  }
  return out;
}

/**
 * Longest token lifetime believed: 10 years. A provider answering `expires_in: 1e20` gets this
 * instead (a Date that far away is invalid, and a refresh job's delay must stay a safe BullMQ score).
 */
export const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 86_400;

const NUMBER_TEXT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** `expires_in` as a number of seconds (numbers and numeric strings, clamped); undefined when it is not a number at all. */
function expiresInSeconds(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && NUMBER_TEXT.test(value)) seconds = Number(value);
  // NaN cannot come out of JSON, but 1e400 parses as Infinity: clamped like any lifetime too long to believe.
  if (seconds === undefined || Number.isNaN(seconds)) return undefined;
  return Math.min(seconds, MAX_EXPIRES_IN_SECONDS);
}

function describe(body: Json | undefined, secrets: ReadonlyArray<string | undefined>): { code?: string; text: string } {
  if (!body) return { text: '' };
  const rawCode = body['error'];
  const code = sanitizeErrorCode(typeof rawCode === 'string' ? rawCode : isObject(rawCode) ? rawCode['code'] : undefined);
  const description = body['error_description'] ?? (isObject(rawCode) ? rawCode['message'] : undefined);
  const text = typeof description === 'string' && description !== '' ? `: ${redact(description, secrets)}` : '';
  return { code, text };
}

/** The error for a failed token-endpoint answer (any status), classified; never holds a secret. */
export function tokenEndpointError(what: string, response: HttpResponse, body: Json | undefined, secrets: ReadonlyArray<string | undefined>): OAuthProtocolError {
  const { code, text } = describe(body, secrets);
  const status = response.status;
  const kind = classifyProviderFailure(status, code);
  const retryAfterSeconds = kind === 'transient' ? parseRetryAfter(response.headers['retry-after']) : undefined;
  const message = `${what} failed: provider answered ${status}${code ? ` ${code}` : ''}${text}`;
  return new OAuthProtocolError(kind, message, { status, providerError: code, retryAfterSeconds });
}

/**
 * Turns a token-endpoint answer into a TokenSet, or throws the classified error. Handles JSON and
 * form-encoded bodies, `expires_in` as number or string (beyond 10 years: clamped; missing or not a
 * number: the definition's `oauth2_default_expires_in`, else no expiry; 0 or less: no expiry), a 200 carrying `{ok:false}` or `error` (Slack, GitHub),
 * the token nested at `oauth2_token_path` (Slack authed_user), and `oauth2_token_metadata`.
 */
export function parseTokenResponse(
  definition: ConnectorDefinition,
  response: HttpResponse,
  what: string,
  secrets: ReadonlyArray<string | undefined>,
  now: number = Date.now(),
): TokenSet {
  const body = parseResponseBody(response);
  if (response.status < 200 || response.status >= 300) throw tokenEndpointError(what, response, body, secrets);
  if (!body) {
    throw new OAuthProtocolError('rejected', `${what} failed: provider answered ${response.status} with a body that is neither JSON nor form-encoded`, {
      status: response.status,
    });
  }
  if (body['ok'] === false || (body['error'] !== undefined && body['access_token'] === undefined)) {
    throw tokenEndpointError(what, response, body, secrets);
  }

  let source: Json = body;
  const path = definition.oauth2_token_path;
  if (typeof path === 'string' && path !== '') {
    const nested = readPath(body, path);
    if (isObject(nested) && typeof nested['access_token'] === 'string' && nested['access_token'] !== '') source = nested;
  }

  const accessToken = source['access_token'];
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new OAuthProtocolError('rejected', `${what} failed: provider answered ${response.status} without an access_token`, { status: response.status });
  }

  const rawType = source['token_type'] ?? body['token_type'];
  const tokenType = typeof rawType === 'string' && rawType !== '' ? (rawType.toLowerCase() === 'bearer' ? 'Bearer' : rawType) : 'Bearer';

  // Missing or not a number (a string of words, an object): the provider said nothing usable, so the
  // definition's assumed lifetime applies, else the expiry is unknown. 0 is how some providers say
  // "does not expire"; a negative lifetime means nothing either: both are an unknown expiry, never
  // "already expired", which would refresh in a loop on every answer alike.
  let seconds = expiresInSeconds(source['expires_in'] ?? (source === body ? undefined : body['expires_in']));
  if (seconds === undefined && typeof definition.oauth2_default_expires_in === 'number') seconds = definition.oauth2_default_expires_in;
  const expiresAt = seconds !== undefined && seconds > 0 ? new Date(now + seconds * 1000) : null;

  const refreshToken = source['refresh_token'];
  const rawScope = source['scope'] ?? body['scope'];
  const scope = typeof rawScope === 'string' ? rawScope : Array.isArray(rawScope) ? rawScope.filter((s) => typeof s === 'string').join(' ') : undefined;

  const metadata: Json = {};
  for (const field of definition.oauth2_token_metadata ?? []) {
    const value = readPath(body, field);
    if (value !== undefined && !TOKEN_KEYS.has((field.split('.').pop() ?? '').toLowerCase())) metadata[field] = withoutTokens(value);
  }

  const tokens: TokenSet = { accessToken, tokenType, expiresAt, metadata };
  if (typeof refreshToken === 'string' && refreshToken !== '') tokens.refreshToken = refreshToken;
  if (scope !== undefined && scope !== '') tokens.scope = scope;
  return tokens;
}
