import { createHash } from 'node:crypto';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { QueueName } from '@flow-oauth/queue-contracts';
import { bullConnectionOptions, REDIS } from '@flow-oauth/redis';
import { ConnectorTokenStore, RefreshProducer } from '@flow-oauth/token-refresh';
import { Queue } from 'bullmq';
import { SecretBox } from '@flow-oauth/secrets';
import { LogCapture, type OidcTestServer, startOidcTestServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import type { Redis } from 'ioredis';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * End to end against a real, certified OAuth 2 / OpenID server (oidc-provider, in a child process
 * on loopback): load a generic odata provider pointing at it, sign in, land on the return URL,
 * fetch, validate, refresh and revoke tokens through flow-oauth-server's HTTP API.
 */
const combos = [
  { name: 'basic-pkce', auth: 'client_secret_basic', pkce: true },
  { name: 'basic-nopkce', auth: 'client_secret_basic', pkce: false },
  { name: 'post-pkce', auth: 'client_secret_post', pkce: true },
  { name: 'post-nopkce', auth: 'client_secret_post', pkce: false },
] as const;

const secretOf = (name: string) => `secret-${name}-Kq83vXz0pL`;

describe.each(TEST_DATABASE_KINDS)('flow-oauth-server OAuth 2 flows against oidc-provider on %s', (kind) => {
  let oidc: OidcTestServer;
  let flow: RunningFlowServer;
  let userKey: string;
  let otherKey: string;
  const logs = new LogCapture();
  let refreshQueue: Queue;

  beforeAll(async () => {
    flow = await startFlowServer(kind, { FLOW_ALLOWED_REDIRECT_ORIGINS: 'https://flow.example.com' });
    oidc = await startOidcTestServer({
      clients: combos.map((c) => ({
        clientId: `client-${c.name}`,
        clientSecret: secretOf(c.name),
        redirectUris: [flow.config.returnUrl],
        tokenEndpointAuthMethod: c.auth,
        pkceRequired: c.pkce,
        rotateRefreshToken: true,
      })),
      extraScopes: ['api:read'],
    });
    const providers: Record<string, unknown> = {};
    for (const c of combos) {
      providers[`OIDC-${c.name}`] = {
        CLIENT_ID: `client-${c.name}`,
        CLIENT_SECRET: secretOf(c.name),
        oauth2_auth_url: oidc.authorizationEndpoint,
        oauth2_token_url: oidc.tokenEndpoint,
        oauth2_validate_url: oidc.userinfoEndpoint,
        oauth2_revoke_url: oidc.revocationEndpoint,
        oauth2_revoke_method: 'post_form_client_auth',
        oauth2_client_auth: c.auth,
        oauth2_pkce: c.pkce ? 'S256' : false,
        oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}', '{"api:read":"Read the API"}'],
      };
    }
    await flow.loadProviders({ odata: providers });
    refreshQueue = new Queue(QueueName.TokenRefresh, { connection: bullConnectionOptions(flow.config.redisUrl), prefix: flow.config.queuePrefix });
    userKey = await flow.createUser('alice');
    otherKey = await flow.createUser('mallory');
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    await refreshQueue?.obliterate({ force: true }).catch(() => undefined);
    await refreshQueue?.close();
    await flow?.close();
    await oidc?.stop();
  });

  async function signIn(provider: string, label: string, key = userKey) {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider, label }, key);
    expect(start.status).toBe(201);
    const back = await oidc.completeAuthorization(start.json.authorizeUrl);
    expect(back.startsWith(flow.config.returnUrl)).toBe(true);
    const page = await fetch(back);
    return { start, back, page, html: await page.text() };
  }

  const connectorByLabel = async (label: string) => flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label });

  it.each(combos)('signs in, fetches, validates, refreshes on demand and revokes ($name)', async (c) => {
    const label = `Conn_${c.name.replace(/-/g, '_')}`;
    const { start, page, html } = await signIn(`OIDC-${c.name}`, label);
    const authorizeUrl = new URL(start.json.authorizeUrl);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe(c.pkce ? 'S256' : null);
    expect(start.json.state).toHaveLength(43);
    expect(Date.parse(start.json.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect(page.status).toBe(200);
    expect(html).toContain(label);

    const list = await flow.call('GET', '/api/connectors', undefined, userKey);
    const connector = list.json.find((x: { label: string }) => x.label === label);
    expect(connector).toMatchObject({ label, type: 'odata', provider: `OIDC-${c.name}`, owner: 'alice', status: 'active' });
    expect(Object.keys(connector)).toEqual(expect.arrayContaining(['id', 'label', 'type', 'provider', 'owner', 'status', 'expiresAt', 'createdAt', 'updatedAt']));
    expect(JSON.stringify(list.json)).not.toMatch(/access_token|refresh_token/);

    // Hand-off to token-refresher: one pending refresh job, due at expires_at - margin.
    const job = await refreshQueue.getJob(RefreshProducer.jobId(connector.id, 1));
    expect(job?.name).toBe('refresh-connector');
    expect(job?.data).toMatchObject({ connectorId: connector.id });
    const due = (job?.timestamp ?? 0) + (job?.delay ?? 0);
    expect(Math.abs(due - (Date.parse(connector.expiresAt) - flow.config.refreshMarginSeconds * 1000))).toBeLessThan(5000);

    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(token.status).toBe(200);
    expect(token.json).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', expires_at: connector.expiresAt });
    expect((await oidc.introspect(token.json.access_token, { clientId: `client-${c.name}`, clientSecret: secretOf(c.name) })).active).toBe(true);

    const validated = await flow.call('POST', `/api/connectors/${connector.id}/validate`, undefined, userKey);
    expect(validated.json).toMatchObject({ valid: true });

    // The token is about to expire: the token API refreshes it first (and the refresh token rotates).
    const before = await connectorByLabel(label);
    await flow.dataSource.getRepository(ConnectorEntity).update({ id: connector.id }, { expiresAt: new Date(Date.now() + 10_000).toISOString(), updatedAt: new Date(Date.now() - 3590_000).toISOString() });
    const refreshed = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.access_token).not.toBe(token.json.access_token);
    expect(Date.parse(refreshed.json.expires_at)).toBeGreaterThan(Date.now() + 3000_000);
    const after = await connectorByLabel(label);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
    // The refreshed token's job replaces the first one.
    expect(await refreshQueue.getJob(RefreshProducer.jobId(connector.id, 2))).toBeDefined();
    expect(await refreshQueue.getJob(RefreshProducer.jobId(connector.id, 1))).toBeUndefined();

    const auths = (await oidc.tokenRequests()).filter((r) => r.clientId === `client-${c.name}` && r.endpoint === 'token');
    expect(auths.map((r) => r.grantType)).toEqual(['authorization_code', 'refresh_token']);
    expect(new Set(auths.map((r) => r.clientAuth))).toEqual(new Set([c.auth]));
    expect(auths[0].params.includes('code_verifier')).toBe(c.pkce);

    expect((await flow.call('DELETE', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(204);
    expect(await refreshQueue.getJob(RefreshProducer.jobId(connector.id, 2))).toBeUndefined();
    expect((await oidc.introspect(refreshed.json.access_token, { clientId: `client-${c.name}`, clientSecret: secretOf(c.name) })).active).toBe(false);
    expect((await flow.call('GET', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(404);
  });

  it("a provider in the seed's simple form (AUTH_URL, TOKEN_URL, REFRESH_URL, VALIDATE_URL) signs in, validates and refreshes", async () => {
    await flow.loadProviders({
      swagger: {
        'Simple-Form': {
          CLIENT_ID: 'client-basic-nopkce',
          CLIENT_SECRET: secretOf('basic-nopkce'),
          AUTH_URL: oidc.authorizationEndpoint,
          TOKEN_URL: oidc.tokenEndpoint,
          REFRESH_URL: oidc.tokenEndpoint,
          VALIDATE_URL: oidc.userinfoEndpoint,
          SCOPES: 'openid offline_access',
        },
      },
    });
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'swagger', provider: 'Simple-Form', label: 'Simple_1' }, userKey);
    expect(start.status).toBe(201);
    expect(new URL(start.json.authorizeUrl).searchParams.get('scope')).toBe('openid offline_access');
    const page = await fetch(await oidc.completeAuthorization(start.json.authorizeUrl));
    expect({ status: page.status, text: page.status === 200 ? '' : await page.text() }).toEqual({ status: 200, text: '' });
    const connector = await connectorByLabel('Simple_1');
    expect((await flow.call('POST', `/api/connectors/${connector.id}/validate`, undefined, userKey)).json).toMatchObject({ valid: true });
    const first = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    await flow.dataSource.getRepository(ConnectorEntity).update({ id: connector.id }, { expiresAt: new Date(Date.now() + 10_000).toISOString(), updatedAt: new Date(Date.now() - 3590_000).toISOString() });
    const second = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(second.status).toBe(200);
    expect(second.json.access_token).not.toBe(first.json.access_token);
  });

  it('one refresh per connector under concurrent token requests, even with a rotating refresh token', async () => {
    await signIn('OIDC-basic-pkce', 'Concurrent_1');
    const connector = await connectorByLabel('Concurrent_1');
    const refreshGrants = async () => (await oidc.tokenRequests()).filter((r) => r.clientId === 'client-basic-pkce' && r.grantType === 'refresh_token').length;
    const grantsBefore = await refreshGrants();
    await flow.dataSource.getRepository(ConnectorEntity).update({ id: connector.id }, { expiresAt: new Date(Date.now() + 10_000).toISOString(), updatedAt: new Date(Date.now() - 3590_000).toISOString() });
    const answers = await Promise.all(Array.from({ length: 8 }, () => flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.json.access_token)).size).toBe(1);
    const after = await connectorByLabel('Concurrent_1');
    expect(after.tokenVersion).toBe(connector.tokenVersion + 1);
    expect(after.status).toBe('active');
    // Exactly one refresh at the provider: without the lock, 8 racing refreshes with a rotating refresh token would end in invalid_grant.
    expect((await refreshGrants()) - grantsBefore).toBe(1);
  });

  describe('security: refused with a clear error and nothing stored', () => {
    const count = () => flow.dataSource.getRepository(ConnectorEntity).count();

    it('a replayed state is refused and creates no second connector', async () => {
      const { back } = await signIn('OIDC-post-pkce', 'Replay_1');
      const n = await count();
      const again = await fetch(back);
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('expired or was already used');
      expect(await count()).toBe(n);
    });

    it('an expired state is refused', async () => {
      const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Expired_1' }, userKey);
      const back = await oidc.completeAuthorization(start.json.authorizeUrl);
      const redis = flow.app.get<Redis>(REDIS);
      await redis.pexpire(`${flow.config.queuePrefix}:oauth-state:${createHash('sha256').update(start.json.state).digest('hex')}`, 1);
      await new Promise((r) => setTimeout(r, 20));
      const n = await count();
      const res = await fetch(back);
      expect(res.status).toBe(400);
      expect(await count()).toBe(n);
    });

    it('a tampered state is refused, and the real one still works once', async () => {
      const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Tamper_1' }, userKey);
      const back = new URL(await oidc.completeAuthorization(start.json.authorizeUrl));
      const state = back.searchParams.get('state') as string;
      const tampered = new URL(back);
      tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
      const n = await count();
      expect((await fetch(tampered)).status).toBe(400);
      expect(await count()).toBe(n);
      expect((await fetch(back)).status).toBe(200);
    });

    it("a code from another flow is refused (the other flow's state does not fit it)", async () => {
      const a = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-basic-pkce', label: 'Cross_A' }, userKey);
      const b = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-basic-pkce', label: 'Cross_B' }, userKey);
      const backA = new URL(await oidc.completeAuthorization(a.json.authorizeUrl));
      backA.searchParams.set('state', b.json.state);
      const n = await count();
      const res = await fetch(backA);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await count()).toBe(n);
    });

    it('a sign-in finishing after its provider was changed is refused (no connector under stale settings)', async () => {
      const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-nopkce', label: 'Stale_1' }, userKey);
      const back = await oidc.completeAuthorization(start.json.authorizeUrl);
      const current = (await flow.call('GET', '/api/providers', undefined, userKey)).json.find((p: { provider: string }) => p.provider === 'OIDC-post-nopkce');
      expect(current).toBeDefined();
      // Not in use, so the load may change it: here its validation endpoint.
      const provider = {
        CLIENT_ID: 'client-post-nopkce',
        CLIENT_SECRET: secretOf('post-nopkce'),
        oauth2_auth_url: oidc.authorizationEndpoint,
        oauth2_token_url: oidc.tokenEndpoint,
        oauth2_validate_url: `${oidc.userinfoEndpoint}?changed=1`,
        oauth2_revoke_url: oidc.revocationEndpoint,
        oauth2_revoke_method: 'post_form_client_auth',
        oauth2_client_auth: 'client_secret_post',
        oauth2_pkce: false,
        oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}', '{"api:read":"Read the API"}'],
      };
      await flow.loadProviders({ odata: { 'OIDC-post-nopkce': provider } });
      const page = await fetch(back);
      expect(page.status).toBe(409);
      expect(await page.text()).toContain('changed or removed during the sign-in');
      expect(await flow.dataSource.getRepository(ConnectorEntity).countBy({ label: 'Stale_1' })).toBe(0);
    });

    it('a missing code and a provider error each give a clear page', async () => {
      const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-nopkce', label: 'NoCode_1' }, userKey);
      const noCode = await fetch(`${flow.config.returnUrl}?state=${encodeURIComponent(start.json.state)}`);
      expect(noCode.status).toBe(400);
      expect(await noCode.text()).toContain('no authorization code');
      const denied = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-nopkce', label: 'Denied_1' }, userKey);
      const back = await oidc.completeAuthorization(denied.json.authorizeUrl, { deny: true });
      expect(new URL(back).searchParams.get('error')).toBe('access_denied');
      const page = await fetch(back);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('Access was denied');
      expect(await flow.dataSource.getRepository(ConnectorEntity).countBy({ label: 'Denied_1' })).toBe(0);
      const noState = await fetch(flow.config.returnUrl);
      expect(noState.status).toBe(400);
    });

    it('label rules: taken, bad characters, leading digit', async () => {
      await signIn('OIDC-post-pkce', 'Taken_1');
      const taken = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Taken_1' }, userKey);
      expect(taken.status).toBe(409);
      expect(taken.json.error).toBe('label_taken');
      for (const label of ['has space', 'semi;colon', '9lives', '', 'é']) {
        const res = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label }, userKey);
        expect({ label, status: res.status }).toEqual({ label, status: 400 });
      }
      // Labels are case-sensitive.
      expect((await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'taken_1' }, userKey)).status).toBe(201);
    });

    it('an injected host in a per-connection parameter is refused before any redirect', async () => {
      await flow.loadProviders({ azure: { 'Azure-1': { CLIENT_ID: 'az-id', CLIENT_SECRET: 'az-secret' } } });
      for (const tenant of ['evil.com/', 'evil.com/x?', 'a@evil.com', '../evil']) {
        const res = await flow.call('POST', '/api/connectors/authorizations', { type: 'azure', provider: 'Azure-1', label: 'Az_1', params: { tenant } }, userKey);
        expect({ tenant, status: res.status, error: res.json.error }).toEqual({ tenant, status: 400, error: 'invalid_params' });
      }
      const ok = await flow.call('POST', '/api/connectors/authorizations', { type: 'azure', provider: 'Azure-1', label: 'Az_1', params: { tenant: 'contoso.onmicrosoft.com' } }, userKey);
      expect(ok.status).toBe(201);
      expect(new URL(ok.json.authorizeUrl).host).toBe('login.microsoftonline.com');
      expect(new URL(ok.json.authorizeUrl).pathname).toBe('/contoso.onmicrosoft.com/oauth2/v2.0/authorize');
    });

    it('a post-sign-in redirect to a non-allowed origin is refused; an allowed one is offered', async () => {
      const bad = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Redir_1', redirectUrl: 'https://evil.example.net/x' }, userKey);
      expect(bad.status).toBe(400);
      const good = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Redir_2', redirectUrl: 'https://flow.example.com/done' }, userKey);
      expect(good.status).toBe(201);
      const page = await fetch(await oidc.completeAuthorization(good.json.authorizeUrl));
      const html = await page.text();
      const created = await connectorByLabel('Redir_2');
      const next = `https://flow.example.com/done?status=success&#38;connector=${created.id}&#38;label=Redir_2`;
      expect(html).toContain(`<meta http-equiv="refresh" content="2;url=${next}">`);
      expect(html).toContain(`href="${next}"`);
    });

    it("another user's connector is invisible to them: get, token, validate, delete", async () => {
      await signIn('OIDC-post-pkce', 'Private_1');
      const mine = await connectorByLabel('Private_1');
      for (const [method, path] of [
        ['GET', `/api/connectors/${mine.id}`],
        ['GET', `/api/connectors/${mine.id}/token`],
        ['POST', `/api/connectors/${mine.id}/validate`],
        ['DELETE', `/api/connectors/${mine.id}`],
      ] as const) {
        const res = await flow.call(method, path, undefined, otherKey);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
      expect((await flow.call('GET', '/api/connectors', undefined, otherKey)).json).toEqual([]);
      expect((await flow.call('GET', `/api/connectors/${mine.id}`, undefined, flow.config.adminKey)).status).toBe(200);
      expect((await flow.call('GET', `/api/connectors/${mine.id}`, undefined, null)).status).toBe(401);
      expect((await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Svc_1' }, flow.config.serviceKey)).status).toBe(403);
      expect(await connectorByLabel('Private_1')).toBeDefined();
    });

    it('no token or secret appears in any log line or list answer', async () => {
      const rows = await flow.dataSource.getRepository(ConnectorEntity).find();
      const store = new ConnectorTokenStore(new SecretBox(flow.config.encryptionKey));
      const tokens = rows.flatMap((r) => Object.values(store.open(r)).filter((t): t is string => !!t));
      expect(tokens.length).toBeGreaterThan(4);
      const answers = [(await flow.call('GET', '/api/connectors')).text, (await flow.call('GET', '/api/providers', undefined, userKey)).text];
      const haystack = logs.text() + answers.join('\n');
      for (const secret of [...tokens, ...combos.map((c) => secretOf(c.name))]) expect(haystack).not.toContain(secret);
    });
  });
});
