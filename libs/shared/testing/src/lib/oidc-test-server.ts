import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { HttpSession, readForm, readLink } from './http-session';

export type OidcRouteName = 'authorization' | 'token' | 'userinfo' | 'revocation' | 'introspection';

/** One client registered at the test authorization server. */
export interface OidcTestClientOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** How the client must authenticate at the token, revocation and introspection endpoints. Default client_secret_basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Refuse authorization requests without a PKCE (S256) challenge. Default false. */
  pkceRequired?: boolean;
  /** Issue refresh tokens: always (default true), never (false), or only when `offline_access` was granted. */
  refreshTokens?: boolean | 'offline_access';
  /** A refresh returns a new refresh token and consumes the old one (reusing it is invalid_grant). Default true. */
  rotateRefreshToken?: boolean;
  /** Allow-list of scopes for this client (space separated). Default: every scope the server knows. */
  scope?: string;
}

export interface OidcTestServerOptions {
  clients: OidcTestClientOptions[];
  /** Access-token lifetime (expires_in). Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Refresh-token lifetime. Default 14 days. */
  refreshTokenTtlSeconds?: number;
  /**
   * Put `refresh_token_expires_in` (the seconds the refresh token has left) in every token answer
   * that carries a refresh token, as GitHub apps do; oidc-provider itself does not. Default false.
   */
  refreshTokenExpiresIn?: boolean;
  /** Scopes besides openid and offline_access (e.g. ['email', 'profile', 'api:read']). */
  extraScopes?: string[];
  /** Accept any RFC 8707 `resource` (opaque tokens); by default `resource` is ignored like any unknown parameter. */
  resourceIndicators?: boolean;
  /** Answer invalid_client when a client uses the other client_secret_* method than registered. Default true. */
  strictClientAuth?: boolean;
  /**
   * Endpoint paths instead of oidc-provider's (/auth, /token, /me, /token/revocation, /token/introspection),
   * e.g. `{ authorization: '/common/oauth2/authorize', token: '/common/oauth2/token' }` to serve a
   * definition whose URLs are relative to a `base_url` such as `<issuer>/{tenant}/oauth2`.
   */
  routes?: Partial<Record<OidcRouteName, string>>;
  /** How long to wait for the child process to listen. Default 15 000 ms. */
  startTimeoutMs?: number;
}

/** What a token, revocation or introspection request looked like (names only, never values). */
export interface RecordedTokenRequest {
  endpoint: 'token' | 'revocation' | 'introspection';
  /** The path requested: /token, /token/revocation, /token/introspection unless `routes` moved them. */
  path: string;
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'none';
  clientId?: string;
  grantType?: string;
  params: string[];
  accept?: string;
  /** The HTTP status of the answer (absent while the request is still being answered). */
  status?: number;
  /** The OAuth error code of a refused request (`invalid_grant`, `invalid_client`...). */
  error?: string;
}

/** How one grant at the token endpoint ended (recorded by the server itself). */
export interface RecordedGrant {
  at: number;
  grantType?: string;
  clientId?: string;
  /** The account (the `login` of completeAuthorization) the grant's token belongs to, when the server found it. */
  account?: string;
  /** `ok`, or the OAuth error the server answered (`invalid_grant` for a consumed, revoked or unknown refresh token). */
  outcome: string;
}

export interface IntrospectionResult {
  active: boolean;
  [claim: string]: unknown;
}

export interface CompleteAuthorizationOptions {
  /** The account to sign in as (any string). Default 'test-user'. */
  login?: string;
  /** Cancel at the login or consent page instead (the server then redirects with error=access_denied). */
  deny?: boolean;
}

export interface OidcTestServer {
  issuer: string;
  port: number;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  revocationEndpoint: string;
  introspectionEndpoint: string;
  /**
   * Drives the sign-in and consent pages for an authorize URL with a cookie jar (plain HTTP, no browser)
   * and returns the final redirect URL to the client's redirect URI (with code/state or error), without calling it.
   */
  completeAuthorization(authorizeUrl: string, options?: CompleteAuthorizationOptions): Promise<string>;
  /** RFC 7662 introspection at the server, authenticated as the given client (default: the first one). */
  introspect(token: string, client?: { clientId: string; clientSecret: string }): Promise<IntrospectionResult>;
  /**
   * RFC 7009 revocation at the server, authenticated as the given client (default: the first one).
   * Revoking a refresh or access token makes oidc-provider revoke its whole grant: every token of
   * that sign-in stops working, as when a user removes an app's access at the provider.
   */
  revoke(token: string, client?: { clientId: string; clientSecret: string }): Promise<void>;
  /** The token / revocation / introspection requests the server has seen, oldest first. */
  tokenRequests(): Promise<RecordedTokenRequest[]>;
  /** How every grant at the token endpoint ended, oldest first: a burned refresh token shows up as `invalid_grant`. */
  grants(): Promise<RecordedGrant[]>;
  /**
   * The user withdraws the app's access at the provider: every grant of the account (a `login`) is
   * revoked with its tokens, so its next refresh is refused with invalid_grant. Returns how many grants.
   */
  revokeAccount(account: string): Promise<number>;
  /** Kills the child process. */
  stop(): Promise<void>;
}

const SCRIPT = path.join(__dirname, 'oidc-provider-process.mjs');

/** Starts a real oidc-provider on 127.0.0.1 (free port) in a child process, with the given clients. */
export async function startOidcTestServer(options: OidcTestServerOptions): Promise<OidcTestServer> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const { port, issuer, routes } = await waitForPort(child, options.startTimeoutMs ?? 15_000, () => stderr);
  const [firstClient] = options.clients;

  /** POSTs `token` to an endpoint authenticated as a client, the way that client is registered. */
  const clientPost = (route: string, token: string, client?: { clientId: string; clientSecret: string }) => {
    const as = client ?? (firstClient ? { clientId: firstClient.clientId, clientSecret: firstClient.clientSecret } : undefined);
    if (!as) throw new Error('this call needs a client');
    const registered = options.clients.find((c) => c.clientId === as.clientId)?.tokenEndpointAuthMethod ?? 'client_secret_basic';
    const form: Record<string, string> = { token };
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (registered === 'client_secret_post') {
      form['client_id'] = as.clientId;
      form['client_secret'] = as.clientSecret;
    } else {
      const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
      headers['Authorization'] = `Basic ${Buffer.from(`${enc(as.clientId)}:${enc(as.clientSecret)}`).toString('base64')}`;
    }
    return plainRequest('POST', `${issuer}${route}`, headers, new URLSearchParams(form).toString());
  };

  const server: OidcTestServer = {
    issuer,
    port,
    authorizationEndpoint: `${issuer}${routes.authorization}`,
    tokenEndpoint: `${issuer}${routes.token}`,
    userinfoEndpoint: `${issuer}${routes.userinfo}`,
    revocationEndpoint: `${issuer}${routes.revocation}`,
    introspectionEndpoint: `${issuer}${routes.introspection}`,
    completeAuthorization: (authorizeUrl, opts) => completeAuthorization(issuer, authorizeUrl, opts ?? {}),
    introspect: async (token, client) => {
      const res = await clientPost(routes.introspection, token, client);
      if (res.status !== 200) throw new Error(`introspection answered ${res.status}: ${res.body.slice(0, 200)}`);
      return JSON.parse(res.body) as IntrospectionResult;
    },
    revoke: async (token, client) => {
      const res = await clientPost(routes.revocation, token, client);
      if (res.status !== 200) throw new Error(`revocation answered ${res.status}: ${res.body.slice(0, 200)}`);
    },
    tokenRequests: async () => {
      const res = await plainRequest('GET', `${issuer}/__test/requests`, { Accept: 'application/json' });
      return JSON.parse(res.body) as RecordedTokenRequest[];
    },
    grants: async () => {
      const res = await plainRequest('GET', `${issuer}/__test/grants`, { Accept: 'application/json' });
      return JSON.parse(res.body) as RecordedGrant[];
    },
    revokeAccount: async (account) => {
      const res = await plainRequest('POST', `${issuer}/__test/revoke-account?account=${encodeURIComponent(account)}`, { Accept: 'application/json' }, '');
      if (res.status !== 200) throw new Error(`revoke-account answered ${res.status}: ${res.body.slice(0, 200)}`);
      return (JSON.parse(res.body) as { revoked: number }).revoked;
    },
    stop: () => stopChild(child),
  };
  return server;
}

interface ChildReady {
  port: number;
  issuer: string;
  routes: Record<OidcRouteName, string>;
}

function waitForPort(child: ChildProcessWithoutNullStreams, timeoutMs: number, stderr: () => string): Promise<ChildReady> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${message}\n${stderr()}`));
    };
    const timer = setTimeout(() => fail(`oidc test server did not start within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code) => fail(`oidc test server exited early (code ${code})`));
    child.stdout.setEncoding('utf8');
    const onData = (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.removeAllListeners('exit');
      child.stdout.resume();
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as ChildReady);
      } catch {
        fail('oidc test server printed an unexpected first line');
      }
    };
    child.stdout.on('data', onData);
  });
}

function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function plainRequest(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function completeAuthorization(issuer: string, authorizeUrl: string, options: CompleteAuthorizationOptions): Promise<string> {
  const session = new HttpSession();
  const origin = new URL(issuer).origin;
  let next: { method: 'GET' | 'POST'; url: string; form?: Record<string, string> } = { method: 'GET', url: authorizeUrl };
  for (let step = 0; step < 20; step++) {
    const res = await session.request(next.method, next.url, next.form);
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, res.url);
      if (target.origin !== origin) return target.toString();
      next = { method: 'GET', url: target.toString() };
      continue;
    }
    const form = res.status === 200 ? readForm(res.body) : undefined;
    if (form) {
      if (options.deny) {
        const abort = readLink(res.body, '/abort');
        if (!abort) throw new Error('no cancel link on the interaction page');
        next = { method: 'GET', url: new URL(abort, res.url).toString() };
        continue;
      }
      const prompt = form.hidden['prompt'];
      const fields: Record<string, string> =
        prompt === 'login' ? { ...form.hidden, login: options.login ?? 'test-user', password: 'test-password' } : { ...form.hidden };
      next = { method: 'POST', url: new URL(form.action, res.url).toString(), form: fields };
      continue;
    }
    const text = res.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
    throw new Error(`authorization stopped at ${res.status} (${new URL(res.url).pathname}): ${text}`);
  }
  throw new Error('authorization did not finish within 20 steps');
}
