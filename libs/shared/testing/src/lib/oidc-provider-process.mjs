// A real oidc-provider (certified OAuth 2 / OpenID Connect server) on 127.0.0.1, run as a child process:
// oidc-provider is ESM-only and jest runs CommonJS. Started by startOidcTestServer (oidc-test-server.ts) with its settings as
// JSON in argv[2]; prints {"port":N,"issuer":"..."} on one stdout line once it listens; exits on
// SIGTERM or when its parent goes away (stdin closes).
import { generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import Provider from 'oidc-provider';
// The package has no exports map; its in-memory adapter is reused with a store of our own (below).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const settings = JSON.parse(process.argv[2] ?? '{}');
const clients = new Map((settings.clients ?? []).map((client) => [client.clientId, client]));
const routes = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  ...(settings.routes ?? {}),
};
const TOKEN_ENDPOINTS = new Map([
  [routes.token, 'token'],
  [routes.revocation, 'revocation'],
  [routes.introspection, 'introspection'],
]);
/** What each token / revocation / introspection request looked like: parameter names and auth method, never values. */
const recorded = [];
/** How each token-endpoint grant ended: type, client, account (the login), `ok` or the error code. */
const grants = [];
/** Grant ids by account, so a test can revoke one user's access as that user would at the provider. */
const grantsByAccount = new Map();

/**
 * oidc-provider's default store keeps about 1,000 entries and drops the oldest: with a few hundred
 * connectors rotating refresh tokens it would silently forget live grants, and a refresh would then
 * fail with invalid_grant that no product bug caused. This store forgets nothing before it expires.
 */
class UnboundedStore {
  #entries = new Map();
  get(key) {
    const entry = this.#entries.get(key);
    if (entry && entry.expiry !== undefined && entry.expiry <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry?.value;
  }
  set(key, value, { maxAge } = {}) {
    this.#entries.set(key, { value, expiry: typeof maxAge === 'number' && Number.isFinite(maxAge) ? Date.now() + maxAge : undefined });
    return this;
  }
  has(key) {
    return this.get(key) !== undefined;
  }
  delete(key) {
    return this.#entries.delete(key);
  }
}
const store = new UnboundedStore();

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function basicClientId(header) {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

let handle = (_req, res) => json(res, 503, { error: 'starting' });
const server = http.createServer((req, res) => {
  Promise.resolve(handle(req, res)).catch(() => {
    if (!res.headersSent) json(res, 500, { error: 'server_error' });
    else res.destroy();
  });
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-signing-key', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [...clients.values()].map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_basic',
      grant_types: client.refreshTokens === false ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...(client.scope ? { scope: client.scope } : {}),
    })),
    routes,
    jwks: { keys: [signingKey] },
    cookies: { keys: ['flow-oauth-test-cookie-key'] },
    scopes: ['openid', 'offline_access', ...(settings.extraScopes ?? [])],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    adapter: (model) => new MemoryAdapter(model, store, 0),
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: sub }) };
    },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: settings.resourceIndicators
        ? {
            enabled: true,
            defaultResource: async () => undefined,
            useGrantedResource: async () => true,
            getResourceServerInfo: async (_ctx, resource) => ({
              scope: ['openid', 'offline_access', ...(settings.extraScopes ?? [])].join(' '),
              audience: resource,
              accessTokenFormat: 'opaque',
            }),
          }
        : { enabled: false },
    },
    pkce: { required: (_ctx, client) => clients.get(client.clientId)?.pkceRequired === true },
    async issueRefreshToken(_ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      const setting = clients.get(client.clientId)?.refreshTokens;
      if (setting === 'offline_access') return code.scopes.has('offline_access');
      return setting !== false;
    },
    rotateRefreshToken: (ctx) => clients.get(ctx.oidc.client.clientId)?.rotateRefreshToken !== false,
    expiresWithSession: async () => false,
    // Expired means expired: the default 15 s tolerance would hide short access-token lifetimes.
    clockTolerance: 0,
    ttl: {
      AccessToken: settings.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 120,
      IdToken: 3600,
      RefreshToken: settings.refreshTokenTtlSeconds ?? 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 24 * 3600,
      Interaction: 600,
    },
  });

  /** A token answer with `refresh_token_expires_in`: the seconds its refresh token has left at the server. */
  async function withRefreshTokenLife(text) {
    const body = JSON.parse(text);
    if (typeof body.refresh_token !== 'string') return text;
    const token = await provider.RefreshToken.find(body.refresh_token);
    if (!token || typeof token.exp !== 'number') return text;
    body.refresh_token_expires_in = Math.max(0, token.exp - Math.floor(Date.now() / 1000));
    return JSON.stringify(body);
  }

  const accountOf = (ctx) => ctx.oidc?.entities?.RefreshToken?.accountId ?? ctx.oidc?.entities?.AuthorizationCode?.accountId ?? ctx.oidc?.entities?.Account?.accountId;
  const grantRecord = (ctx, outcome) => ({
    at: Date.now(),
    grantType: ctx.oidc?.params?.grant_type,
    clientId: ctx.oidc?.client?.clientId,
    account: accountOf(ctx),
    outcome,
  });
  provider.on('grant.success', (ctx) => grants.push(grantRecord(ctx, 'ok')));
  provider.on('grant.error', (ctx, error) => grants.push(grantRecord(ctx, error?.error ?? 'server_error')));
  provider.on('grant.saved', (grant) => {
    if (!grant.accountId) return;
    const ids = grantsByAccount.get(grant.accountId) ?? new Set();
    ids.add(grant.jti);
    grantsByAccount.set(grant.accountId, ids);
  });

  /** The user withdraws the app's access at the provider: every grant of the account is gone with its tokens. */
  async function revokeAccount(account) {
    const ids = [...(grantsByAccount.get(account) ?? [])];
    for (const id of ids) {
      await provider.RefreshToken.revokeByGrantId(id);
      const grant = await provider.Grant.find(id);
      await grant?.destroy();
    }
    grantsByAccount.delete(account);
    return ids.length;
  }

  const callback = provider.callback();
  handle = async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/__test/requests' && req.method === 'GET') return json(res, 200, recorded);
    if (url.pathname === '/__test/grants' && req.method === 'GET') return json(res, 200, grants);
    if (url.pathname === '/__test/revoke-account' && req.method === 'POST') {
      return json(res, 200, { revoked: await revokeAccount(url.searchParams.get('account') ?? '') });
    }
    const isForm = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
    if (req.method === 'POST' && TOKEN_ENDPOINTS.has(url.pathname) && isForm) {
      // Read the body here (oidc-provider accepts a pre-read body) to record the request and to hold
      // clients to their registered authentication method: oidc-provider itself accepts basic and
      // post interchangeably for a client_secret_* client.
      const raw = await readBody(req);
      req.body = raw;
      const params = new URLSearchParams(raw);
      const fromHeader = basicClientId(req.headers.authorization);
      const clientAuth = fromHeader !== undefined ? 'client_secret_basic' : params.has('client_secret') ? 'client_secret_post' : 'none';
      const clientId = fromHeader ?? params.get('client_id') ?? undefined;
      const entry = {
        endpoint: TOKEN_ENDPOINTS.get(url.pathname),
        path: url.pathname,
        clientAuth,
        clientId,
        grantType: params.get('grant_type') ?? undefined,
        params: [...params.keys()],
        accept: req.headers.accept,
      };
      recorded.push(entry);
      // The outcome too (status and the OAuth error code, never a token): tests count refusals such
      // as a reused refresh token (invalid_grant).
      const end = res.end.bind(res);
      res.end = (chunk, ...rest) => {
        entry.status = res.statusCode;
        if (res.statusCode >= 400 && chunk) {
          try {
            const code = JSON.parse(String(chunk)).error;
            if (typeof code === 'string') entry.error = code;
          } catch {
            // not JSON: no code to record
          }
        }
        if (settings.refreshTokenExpiresIn && entry.endpoint === 'token' && res.statusCode === 200 && chunk) {
          // As GitHub apps do: the refresh token's remaining life beside it (oidc-provider does not send it).
          withRefreshTokenLife(String(chunk)).then(
            (body) => {
              if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(body));
              end(body, ...rest);
            },
            () => end(chunk, ...rest),
          );
          return res;
        }
        return end(chunk, ...rest);
      };
      const registered = clients.get(clientId)?.tokenEndpointAuthMethod ?? 'client_secret_basic';
      if (settings.strictClientAuth !== false && clientAuth !== 'none' && clientAuth !== registered) {
        return json(res, 401, {
          error: 'invalid_client',
          error_description: `this client must authenticate with ${registered}, not ${clientAuth}`,
        });
      }
    }
    return callback(req, res);
  };

  process.stdout.write(`${JSON.stringify({ port, issuer, routes })}\n`);
});
