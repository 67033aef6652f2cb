import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import OAuth from 'oauth-1.0a';

export interface OAuth1TestServerOptions {
  consumerKey?: string;
  consumerSecret?: string;
  /** Answer the request-token call with oauth_callback_confirmed=true (RFC 5849). Default true. */
  callbackConfirmed?: boolean;
}

export interface OAuth1TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  /** Trello-style endpoints. */
  requestTokenUrl: string;
  authorizeUrl: string;
  accessTokenUrl: string;
  /** A protected resource (GET, signed with the access token): answers the member. */
  memberUrl: string;
  /** DELETE `${url}/1/tokens/<token>` revokes an access token. */
  tokensUrl: string;
  /** Plays the user approving: GETs the authorize URL and returns the redirect to the callback (oauth_token, oauth_verifier) without calling it. */
  approve(authorizeUrl: string): Promise<string>;
  /** Query of every authorize request seen (name, scope, expiration...). */
  authorizeQueries: URLSearchParams[];
  /** Requests refused for a bad signature, unknown consumer, stale timestamp or reused nonce. */
  rejectedSignatures: number;
  /** Access-token requests seen (the third leg, where a verifier is exchanged), accepted or not. */
  accessTokenRequests: number;
  /** Whether an access token is currently valid (issued and not revoked). */
  isAccessTokenActive(token: string): boolean;
  stop(): Promise<void>;
}

interface RequestToken {
  secret: string;
  callback: string;
  verifier?: string;
  used: boolean;
}

/** Parses `Authorization: OAuth k="v", ...` into decoded parameters (RFC 5849 section 3.5.1). */
export function parseOAuthHeader(header: string | undefined): Record<string, string> | undefined {
  if (!header || !/^OAuth\s+/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  for (const match of header.replace(/^OAuth\s+/i, '').matchAll(/([A-Za-z0-9_%.~-]+)="([^"]*)"/g)) {
    out[decodeURIComponent(match[1])] = decodeURIComponent(match[2]);
  }
  return out;
}

function hmacSha1(base: string, key: string): string {
  return createHmac('sha1', key).update(base).digest('base64');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A small OAuth 1.0a server (node:http, 127.0.0.1, free port) with Trello's three legs. Every signature is
 * verified with the independent `oauth-1.0a` npm library (not Flow OAuth's signing code); a bad one is 401.
 */
export async function startOAuth1TestServer(options: OAuth1TestServerOptions = {}): Promise<OAuth1TestServer> {
  const consumerKey = options.consumerKey ?? `consumer-${randomBytes(6).toString('hex')}`;
  const consumerSecret = options.consumerSecret ?? `secret-${randomBytes(12).toString('hex')}`;
  const verifier = new OAuth({ consumer: { key: consumerKey, secret: consumerSecret }, signature_method: 'HMAC-SHA1', hash_function: hmacSha1 });
  const requestTokens = new Map<string, RequestToken>();
  const accessTokens = new Map<string, { secret: string; revoked: boolean }>();
  const nonces = new Set<string>();
  const authorizeQueries: URLSearchParams[] = [];
  let base = '';
  const state = { rejectedSignatures: 0, accessTokenRequests: 0 };

  const refuse = (res: http.ServerResponse, status: number, problem: string) => {
    res.writeHead(status, { 'Content-Type': 'application/x-www-form-urlencoded' });
    res.end(new URLSearchParams({ oauth_problem: problem }).toString());
  };
  const answer = (res: http.ServerResponse, values: Record<string, string>) => {
    res.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded' });
    res.end(new URLSearchParams(values).toString());
  };

  /** Checks consumer, timestamp, nonce and signature; returns the protocol parameters, or answers 401 and returns undefined. */
  const verify = (req: http.IncomingMessage, res: http.ServerResponse, body: string, tokenSecret: string): Record<string, string> | undefined => {
    const params = parseOAuthHeader(req.headers.authorization);
    const fail = (problem: string) => {
      state.rejectedSignatures++;
      refuse(res, 401, problem);
      return undefined;
    };
    if (!params) return fail('parameter_absent');
    if (params['oauth_consumer_key'] !== consumerKey) return fail('consumer_key_unknown');
    if (params['oauth_signature_method'] !== 'HMAC-SHA1') return fail('signature_method_rejected');
    const timestamp = Number(params['oauth_timestamp']);
    if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return fail('timestamp_refused');
    const nonceKey = `${params['oauth_timestamp']}:${params['oauth_nonce']}`;
    if (!params['oauth_nonce'] || nonces.has(nonceKey)) return fail('nonce_used');
    const { oauth_signature: signature, ...oauthData } = params;
    delete oauthData['realm'];
    const isForm = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
    const data = isForm && body !== '' ? verifier.deParam(body) : {};
    const expected = verifier.getSignature({ url: `${base}${req.url ?? '/'}`, method: req.method ?? 'GET', data }, tokenSecret, oauthData as unknown as OAuth.Data);
    if (!signature || !safeEqual(signature, expected)) return fail('signature_invalid');
    nonces.add(nonceKey);
    return params;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', base);
      const route = `${req.method} ${url.pathname}`;

      if ((route === 'POST /1/OAuthGetRequestToken' || route === 'GET /1/OAuthGetRequestToken')) {
        const params = verify(req, res, body, '');
        if (!params) return;
        const callback = params['oauth_callback'];
        if (!callback) return refuse(res, 400, 'parameter_absent');
        const token = randomBytes(16).toString('hex');
        const secret = randomBytes(16).toString('hex');
        requestTokens.set(token, { secret, callback, used: false });
        return answer(res, { oauth_token: token, oauth_token_secret: secret, ...(options.callbackConfirmed === false ? {} : { oauth_callback_confirmed: 'true' }) });
      }

      if (route === 'GET /1/OAuthAuthorizeToken') {
        authorizeQueries.push(url.searchParams);
        const token = url.searchParams.get('oauth_token') ?? '';
        const pending = requestTokens.get(token);
        if (!pending || pending.used) return refuse(res, 400, 'token_rejected');
        pending.verifier = randomBytes(12).toString('hex');
        const target = pending.callback === 'oob' ? new URL(`${base}/oob`) : new URL(pending.callback);
        target.searchParams.set('oauth_token', token);
        target.searchParams.set('oauth_verifier', pending.verifier);
        res.writeHead(302, { Location: target.toString() });
        return res.end();
      }

      if (route === 'POST /1/OAuthGetAccessToken') {
        state.accessTokenRequests++;
        const token = parseOAuthHeader(req.headers.authorization)?.['oauth_token'] ?? '';
        const pending = requestTokens.get(token);
        if (!pending) return refuse(res, 401, 'token_rejected');
        const params = verify(req, res, body, pending.secret);
        if (!params) return;
        if (pending.used || !pending.verifier) return refuse(res, 401, 'token_used');
        if (!params['oauth_verifier'] || !safeEqual(params['oauth_verifier'], pending.verifier)) return refuse(res, 401, 'verifier_invalid');
        pending.used = true;
        const access = randomBytes(24).toString('hex');
        const secret = randomBytes(24).toString('hex');
        accessTokens.set(access, { secret, revoked: false });
        return answer(res, { oauth_token: access, oauth_token_secret: secret, member_id: 'test-member' });
      }

      if (route === 'GET /1/members/me') {
        const token = parseOAuthHeader(req.headers.authorization)?.['oauth_token'] ?? '';
        const access = accessTokens.get(token);
        if (!access || access.revoked) return refuse(res, 401, 'token_rejected');
        if (!verify(req, res, body, access.secret)) return;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ id: 'test-member', username: 'test' }));
      }

      const revoke = /^DELETE \/1\/tokens\/([^/]+)$/.exec(route);
      if (revoke) {
        const token = decodeURIComponent(revoke[1]);
        const access = accessTokens.get(token);
        if (!access || access.revoked || url.searchParams.get('key') !== consumerKey) return refuse(res, 401, 'token_rejected');
        access.revoked = true;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end('{"_value":null}');
      }

      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    consumerKey,
    consumerSecret,
    requestTokenUrl: `${base}/1/OAuthGetRequestToken`,
    authorizeUrl: `${base}/1/OAuthAuthorizeToken`,
    accessTokenUrl: `${base}/1/OAuthGetAccessToken`,
    memberUrl: `${base}/1/members/me`,
    tokensUrl: `${base}/1/tokens`,
    authorizeQueries,
    get rejectedSignatures() {
      return state.rejectedSignatures;
    },
    get accessTokenRequests() {
      return state.accessTokenRequests;
    },
    approve: (authorizeUrl) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get(authorizeUrl, { agent: false }, (res) => {
          res.resume();
          const location = res.headers.location;
          if (res.statusCode === 302 && location) resolve(location);
          else reject(new Error(`authorize answered ${res.statusCode}`));
        });
        req.on('error', reject);
      }),
    isAccessTokenActive: (token) => {
      const access = accessTokens.get(token);
      return access !== undefined && !access.revoked;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
