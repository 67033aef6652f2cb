/**
 * What went wrong, in the terms the callers act on:
 * - invalid_grant: the code or refresh token is dead; the user must sign in again.
 * - invalid_client: the provider refuses our client credentials; an operator must fix the provider.
 * - transient: network, timeout, 5xx or 429; retry later (`retryAfterSeconds` when the provider said).
 * - rejected: any other refusal by the provider (4xx, malformed answer).
 * - config: we could not build the request (missing template variable, no endpoint, bad URL).
 */
export type OAuthErrorKind = 'invalid_grant' | 'invalid_client' | 'transient' | 'rejected' | 'config';

export interface OAuthProtocolErrorDetails {
  status?: number;
  retryAfterSeconds?: number;
  providerError?: string;
}

/** A failed protocol exchange. Its message and fields never hold a secret or a token. */
export class OAuthProtocolError extends Error {
  kind: OAuthErrorKind;
  // Optional fields are declared, not initialised, so an error carries only the keys that apply.
  declare status?: number;
  declare retryAfterSeconds?: number;
  /** The provider's `error` code (e.g. `invalid_grant`), when it gave a well-formed one. */
  declare providerError?: string;

  constructor(kind: OAuthErrorKind, message: string, details: OAuthProtocolErrorDetails = {}) {
    super(message);
    this.name = 'OAuthProtocolError';
    this.kind = kind;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.providerError !== undefined) this.providerError = details.providerError;
  }
}

// Error codes seen in the wild beside the RFC 6749 ones: GitHub answers 200 with
// bad_verification_code / bad_refresh_token / incorrect_client_credentials, Slack answers 200 with
// {ok:false, error}. The table maps them onto what the caller does next.
const INVALID_GRANT_CODES = new Set([
  'invalid_grant',
  'bad_verification_code',
  'bad_refresh_token',
  'invalid_code',
  'code_already_used',
  'invalid_refresh_token',
  'token_revoked',
  'token_expired',
  'expired_token',
]);
const INVALID_CLIENT_CODES = new Set([
  'invalid_client',
  'unauthorized_client',
  'incorrect_client_credentials',
  'invalid_client_id',
  'bad_client_secret',
  'bad_redirect_uri',
]);
const TRANSIENT_CODES = new Set(['temporarily_unavailable', 'server_error', 'ratelimited', 'rate_limited', 'slow_down']);

/** Classifies a token-endpoint failure by the provider's error code and the HTTP status. */
export function classifyProviderFailure(status: number, providerError: string | undefined): OAuthErrorKind {
  if (providerError !== undefined) {
    const code = providerError.toLowerCase();
    if (INVALID_GRANT_CODES.has(code)) return 'invalid_grant';
    if (INVALID_CLIENT_CODES.has(code)) return 'invalid_client';
    if (TRANSIENT_CODES.has(code)) return 'transient';
  }
  if (status === 429 || status >= 500) return 'transient';
  if (status === 401) return 'invalid_client';
  return 'rejected';
}

/** Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** A provider's error code, kept only when it looks like one (it is echoed into messages). */
export function sanitizeErrorCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : undefined;
}

/** Removes every known secret value from text that came back from a provider, and bounds its length. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>, maxLength = 200): string {
  // eslint-disable-next-line no-control-regex -- provider text must not carry control characters into a message
  let out = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  for (const value of values) {
    out = out.split(value).join('[redacted]');
    const encoded = encodeURIComponent(value);
    if (encoded !== value) out = out.split(encoded).join('[redacted]');
  }
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}
