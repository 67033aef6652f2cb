import { createHmac, randomBytes } from 'node:crypto';

/** RFC 5849 section 3.6: UTF-8, then every byte outside ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX (upper case). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 section 3.4.1.2: scheme and host in lower case, the port only when not the default, the path, no query. */
export function baseStringUri(url: string): string {
  const parsed = new URL(url);
  const scheme = parsed.protocol.toLowerCase();
  const host = parsed.hostname.toLowerCase();
  const defaultPort = (scheme === 'http:' && parsed.port === '80') || (scheme === 'https:' && parsed.port === '443');
  const port = parsed.port === '' || defaultPort ? '' : `:${parsed.port}`;
  const path = parsed.pathname === '' ? '/' : parsed.pathname;
  return `${scheme}//${host}${port}${path}`;
}

/** The query parameters of a URL, decoded, in order (form decoding: "+" is a space). */
export function queryParameters(url: string): Array<[string, string]> {
  return [...new URL(url).searchParams.entries()];
}

/** RFC 5849 section 3.4.1.3.2: encode names and values, sort by name then value, join with "=" and "&". */
export function normalizeParameters(parameters: ReadonlyArray<readonly [string, string]>): string {
  return parameters
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/**
 * RFC 5849 section 3.4.1: METHOD & encoded base string URI & encoded normalized parameters.
 * `parameters` are the protocol parameters (without oauth_signature and realm) and the form-body
 * parameters; the URL's query parameters are added here.
 */
export function signatureBaseString(method: string, url: string, parameters: ReadonlyArray<readonly [string, string]>): string {
  const all = [...queryParameters(url), ...parameters];
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(all))].join('&');
}

/** RFC 5849 section 3.4.2: HMAC-SHA1 over the base string, keyed by encoded consumer secret & encoded token secret. */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret = ''): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString).digest('base64');
}

export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  token?: string;
  tokenSecret?: string;
}

export interface OAuth1SignInput {
  method: string;
  url: string;
  /** Form-body parameters (application/x-www-form-urlencoded bodies only). */
  body?: ReadonlyArray<readonly [string, string]>;
  /** Extra protocol parameters: oauth_callback, oauth_verifier. */
  extra?: Record<string, string>;
  /** Fixed nonce and timestamp, for test vectors. */
  nonce?: string;
  timestamp?: number;
}

/** The signed protocol parameters of one request, oauth_signature included. */
export function oauth1Parameters(credentials: OAuth1Credentials, input: OAuth1SignInput): Record<string, string> {
  const protocol: Record<string, string> = {
    oauth_consumer_key: credentials.consumerKey,
    oauth_nonce: input.nonce ?? randomBytes(16).toString('hex'),
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(input.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_version: '1.0',
    ...(credentials.token !== undefined ? { oauth_token: credentials.token } : {}),
    ...(input.extra ?? {}),
  };
  const baseString = signatureBaseString(input.method, input.url, [...Object.entries(protocol), ...(input.body ?? [])]);
  protocol['oauth_signature'] = hmacSha1Signature(baseString, credentials.consumerSecret, credentials.tokenSecret ?? '');
  return protocol;
}

/** RFC 5849 section 3.5.1: the `Authorization: OAuth ...` header value of a signed request. */
export function oauth1AuthorizationHeader(credentials: OAuth1Credentials, input: OAuth1SignInput): string {
  const parameters = oauth1Parameters(credentials, input);
  return `OAuth ${Object.entries(parameters)
    .map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`)
    .join(', ')}`;
}
