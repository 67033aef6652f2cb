import { createHash } from 'node:crypto';
import { BrowserSessions, hashApiKey, UsersService } from '@flow-oauth/api-auth';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { REDIS } from '@flow-oauth/redis';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import { SecretBox } from '@flow-oauth/secrets';
import { HttpSession, LogCapture, type OidcTestServer, openStartLink, readForm, startOidcTestServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import type { Redis } from 'ioredis';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * End to end against a real, certified OAuth 2 / OpenID server (oidc-provider, in a child process
 * on loopback): load a generic odata provider pointing at it, sign in (start link, confirmation page
 * and return page in one cookie-keeping client), fetch, validate, refresh and revoke tokens through
 * flow-oauth-server's HTTP API.
 */
const combos = [
  { name: 'basic-pkce', auth: 'client_secret_basic', pkce: true },
  { name: 'basic-nopkce', auth: 'client_secret_basic', pkce: false },
  { name: 'post-pkce', auth: 'client_secret_post', pkce: true },
  { name: 'post-nopkce', auth: 'client_secret_post', pkce: false },
] as const;

const secretOf = (name: string) => `secret-${name}-Kq83vXz0pL`;

/** A Content-Security-Policy header as its directives (helmet and the pages space them differently). */
const cspDirectives = (header: string | string[] | null | undefined) =>
  String(header ?? '')
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean);

describe.each(TEST_DATABASE_KINDS)('flow-oauth-server OAuth 2 flows against oidc-provider on %s', (kind) => {
  let oidc: OidcTestServer;
  let flow: RunningFlowServer;
  let userKey: string;
  let otherKey: string;
  const logs = new LogCapture();

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
    userKey = await flow.createUser('alice');
    otherKey = await flow.createUser('mallory');
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    await flow?.close();
    await oidc?.stop();
  });

  /** States, start ids, binding nonces and codes of this suite: none may reach a log line. */
  const signInSecrets = new Set<string>();
  const rememberSecrets = (browser: HttpSession, ...values: Array<string | null | undefined>) => {
    for (const value of values) if (value) signInSecrets.add(value);
    for (const cookie of browser.cookiesFor(flow.url)) if (cookie.value) signInSecrets.add(cookie.value);
  };

  /** Starts a sign-in through the API and opens its start link in a browser (confirmation page submitted): where the provider sends that browser back to. */
  async function startInBrowser(provider: string, label: string, browser = new HttpSession(), body: Record<string, unknown> = {}) {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider, label, ...body }, userKey);
    expect(start.status).toBe(201);
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    rememberSecrets(browser, start.json.state, new URL(start.json.authorizeUrl).searchParams.get('id'));
    return { start, browser, providerUrl };
  }

  /** A whole sign-in as a person does it: start link, confirmation, provider sign-in, and the return page, all in one browser. */
  async function signIn(provider: string, label: string) {
    const { start, browser, providerUrl } = await startInBrowser(provider, label);
    const back = await oidc.completeAuthorization(providerUrl);
    expect(back.startsWith(flow.config.returnUrl)).toBe(true);
    rememberSecrets(browser, new URL(back).searchParams.get('code'));
    const page = await browser.request('GET', back);
    return { start, providerUrl, back, page, html: page.body, browser };
  }

  const connectorByLabel = async (label: string) => flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label });

  it.each(combos)('signs in, fetches, validates, refreshes on demand and revokes ($name)', async (c) => {
    const label = `Conn_${c.name.replace(/-/g, '_')}`;
    const { start, providerUrl, page, html } = await signIn(`OIDC-${c.name}`, label);
    expect(start.json.authorizeUrl).toMatch(new RegExp(`^${flow.config.publicUrl}/Thingworx/Oauths/oauth/start\\?id=[A-Za-z0-9_-]{43}$`));
    const authorizeUrl = new URL(providerUrl);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(oidc.authorizationEndpoint);
    expect(authorizeUrl.searchParams.get('state')).toBe(start.json.state);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe(c.pkce ? 'S256' : null);
    expect(start.json.state).toHaveLength(43);
    expect(Date.parse(start.json.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect(page.status).toBe(200);
    expect(html).toContain(label);

    const list = await flow.call('GET', '/api/connectors', undefined, userKey);
    const connector = list.json.find((x: { label: string }) => x.label === label);
    expect(connector).toMatchObject({ label, type: 'odata', provider: `OIDC-${c.name}`, owner: 'alice', status: 'active', refreshAttempts: 0, refreshRetryAt: null });
    expect(Object.keys(connector)).toEqual(expect.arrayContaining(['id', 'label', 'type', 'provider', 'owner', 'status', 'expiresAt', 'createdAt', 'updatedAt']));
    expect(JSON.stringify(list.json)).not.toMatch(/access_token|refresh_token/);

    // Hand-off to token-refresher: the next refresh time, expires_at - margin, stored with the tokens.
    const stored = await connectorByLabel(label);
    expect(Date.parse(stored.nextRefreshAt as string)).toBe(Date.parse(connector.expiresAt) - flow.config.refreshMarginSeconds * 1000);
    expect(stored).toMatchObject({ refreshAttempts: 0, refreshRetryAt: null });

    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(token.status).toBe(200);
    expect(token.json).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', expires_at: connector.expiresAt });
    expect((await oidc.introspect(token.json.access_token, { clientId: `client-${c.name}`, clientSecret: secretOf(c.name) })).active).toBe(true);

    const validated = await flow.call('POST', `/api/connectors/${connector.id}/validate`, undefined, userKey);
    expect(validated.json).toMatchObject({ valid: true });

    // The token is about to expire: the token API refreshes it first (and the refresh token rotates).
    const before = await connectorByLabel(label);
    await flow.updateConnector(connector.id, { expiresAt: new Date(Date.now() + 10_000).toISOString(), nextRefreshAt: new Date().toISOString() });
    const refreshed = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.access_token).not.toBe(token.json.access_token);
    expect(Date.parse(refreshed.json.expires_at)).toBeGreaterThan(Date.now() + 3000_000);
    const after = await connectorByLabel(label);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
    // The refreshed token's next refresh time replaces the first one.
    expect(Date.parse(after.nextRefreshAt as string)).toBe(Date.parse(refreshed.json.expires_at) - flow.config.refreshMarginSeconds * 1000);

    const auths = (await oidc.tokenRequests()).filter((r) => r.clientId === `client-${c.name}` && r.endpoint === 'token');
    expect(auths.map((r) => r.grantType)).toEqual(['authorization_code', 'refresh_token']);
    expect(new Set(auths.map((r) => r.clientAuth))).toEqual(new Set([c.auth]));
    expect(auths[0].params.includes('code_verifier')).toBe(c.pkce);

    expect((await flow.call('DELETE', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(204);
    expect((await oidc.introspect(refreshed.json.access_token, { clientId: `client-${c.name}`, clientSecret: secretOf(c.name) })).active).toBe(false);
    expect((await flow.call('GET', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(404);
  });

  it('a delete whose revocation fails at the provider still deletes (204) and logs why, with no token or secret', async () => {
    const c = combos[0];
    await flow.loadProviders({
      odata: {
        'OIDC-revoke-fails': {
          CLIENT_ID: `client-${c.name}`,
          CLIENT_SECRET: secretOf(c.name),
          oauth2_auth_url: oidc.authorizationEndpoint,
          oauth2_token_url: oidc.tokenEndpoint,
          // No such endpoint: the provider answers 404 to every revocation.
          oauth2_revoke_url: `${oidc.revocationEndpoint}/missing`,
          oauth2_revoke_method: 'post_form_client_auth',
          oauth2_client_auth: c.auth,
          oauth2_pkce: 'S256',
          oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}'],
        },
      },
    });
    await signIn('OIDC-revoke-fails', 'RevokeFails');
    const connector = await connectorByLabel('RevokeFails');
    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey);
    expect(token.status).toBe(200);
    const from = logs.lines.length;
    const deleted = await flow.call('DELETE', `/api/connectors/${connector.id}`, undefined, userKey);
    expect(deleted.status).toBe(204);
    expect((await flow.call('GET', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(404);
    const logged = logs.lines.slice(from).join('\n');
    expect(logged).toMatch(new RegExp(`connector ${connector.id} \\(odata/OIDC-revoke-fails\\) is deleted, but not revoked at the provider: refresh token not revoked: provider answered 404`));
    expect(logged).not.toContain(token.json.access_token);
    expect(logged).not.toContain(secretOf(c.name));
    // Indeed still live at the provider: why the operator is told.
    expect((await oidc.introspect(token.json.access_token, { clientId: `client-${c.name}`, clientSecret: secretOf(c.name) })).active).toBe(true);
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
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    expect(new URL(providerUrl).searchParams.get('scope')).toBe('openid offline_access');
    const page = await browser.request('GET', await oidc.completeAuthorization(providerUrl));
    expect({ status: page.status, text: page.status === 200 ? '' : page.body }).toEqual({ status: 200, text: '' });
    const connector = await connectorByLabel('Simple_1');
    expect((await flow.call('POST', `/api/connectors/${connector.id}/validate`, undefined, userKey)).json).toMatchObject({ valid: true });
    const first = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    await flow.updateConnector(connector.id, { expiresAt: new Date(Date.now() + 10_000).toISOString(), nextRefreshAt: new Date().toISOString() });
    const second = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(second.status).toBe(200);
    expect(second.json.access_token).not.toBe(first.json.access_token);
  });

  it('one refresh per connector under concurrent token requests, even with a rotating refresh token; a still-valid token is served at once meanwhile', async () => {
    await signIn('OIDC-basic-pkce', 'Concurrent_1');
    const connector = await connectorByLabel('Concurrent_1');
    const refreshGrants = async () => (await oidc.tokenRequests()).filter((r) => r.clientId === 'client-basic-pkce' && r.grantType === 'refresh_token').length;
    const grantsBefore = await refreshGrants();
    const old = (await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey)).json.access_token;
    // Due, but still valid for 10 s: requests that find the refresh running do not wait for it.
    await flow.updateConnector(connector.id, { expiresAt: new Date(Date.now() + 10_000).toISOString(), nextRefreshAt: new Date().toISOString() });
    const answers = await Promise.all(Array.from({ length: 8 }, () => flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const after = await connectorByLabel('Concurrent_1');
    expect(after.tokenVersion).toBe(connector.tokenVersion + 1);
    expect(after.status).toBe('active');
    const fresh = (await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey)).json.access_token;
    expect(fresh).not.toBe(old);
    // Each answer is the old (still valid) token or the refreshed one, nothing else.
    expect(answers.every((a) => a.json.access_token === old || a.json.access_token === fresh)).toBe(true);
    // Exactly one refresh at the provider: without the lock, 8 racing refreshes with a rotating refresh token would end in invalid_grant.
    expect((await refreshGrants()) - grantsBefore).toBe(1);
  });

  describe('the sign-in is bound to the browser that opened its start link', () => {
    const codeGrants = async (clientId: string) => (await oidc.tokenRequests()).filter((r) => r.clientId === clientId && r.grantType === 'authorization_code').length;
    const labelExists = (label: string) => flow.dataSource.getRepository(ConnectorEntity).existsBy({ label });
    const startLink = async (label: string, provider = 'OIDC-basic-pkce') => {
      const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider, label }, userKey);
      expect(start.status).toBe(201);
      return start.json as { authorizeUrl: string; state: string; expiresAt: string };
    };

    it('the confirmation page names the owner, type, provider and label, and binds the browser with an HttpOnly SameSite=Lax cookie', async () => {
      const { authorizeUrl, state } = await startLink('Confirm_1');
      // The start link is stored hashed and lives no longer than the state.
      const redis = flow.app.get<Redis>(REDIS);
      const sha = (value: string) => createHash('sha256').update(value).digest('hex');
      const startId = new URL(authorizeUrl).searchParams.get('id') ?? '';
      const [stateKey, startKey, bindingKey] = [`oauth-state:${sha(state)}`, `oauth-start:${sha(startId)}`, `oauth-binding:${sha(state)}`].map((k) => `${flow.config.queuePrefix}:${k}`);
      const [stateTtl, startTtl] = [await redis.pttl(stateKey), await redis.pttl(startKey)];
      expect(startTtl).toBeGreaterThan(0);
      expect(startTtl).toBeLessThanOrEqual(stateTtl + 5);
      expect((await redis.keys(`${flow.config.queuePrefix}:*`)).some((k) => k.includes(startId) || k.includes(state))).toBe(false);
      const browser = new HttpSession();
      const { confirmation, redirect, providerUrl } = await openStartLink(browser, authorizeUrl);
      expect(await redis.exists(startKey)).toBe(0);
      // The state's life is read first: the binding's, read after it, can only be shorter if it ends no later.
      const stateLeft = await redis.pttl(stateKey);
      const bindingTtl = await redis.pttl(bindingKey);
      expect(bindingTtl).toBeGreaterThan(0);
      expect(bindingTtl).toBeLessThanOrEqual(stateLeft + 5);
      expect(confirmation?.status).toBe(200);
      const text = confirmation?.body ?? '';
      expect(text).toContain('<dd id="owner">alice</dd>');
      expect(text).toContain('<dd id="type">OData (odata)</dd>');
      expect(text).toContain('<dd id="provider">OIDC-basic-pkce</dd>');
      expect(text).toContain('<dd id="label">Confirm_1</dd>');
      expect(text).toContain('<form method="post" action="/Thingworx/Oauths/oauth/start">');
      expect(text).toContain('<button type="submit">Continue to OData</button>');
      // The form's 303 goes to the provider: Chromium checks form-action on that redirect (and the provider's next ones) too.
      expect(cspDirectives(confirmation?.headers['content-security-policy'])).toEqual([
        "default-src 'none'",
        "style-src 'self'",
        "base-uri 'none'",
        `form-action 'self' ${new URL(oidc.issuer).origin} https:`,
        "frame-ancestors 'none'",
      ]);
      expect(redirect.status).toBe(303);
      expect(new URL(providerUrl).origin).toBe(new URL(oidc.issuer).origin);
      const cookieName = `flow_signin_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
      const binding = (redirect.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${cookieName}=`)) ?? '';
      expect(binding).toMatch(/; Path=\/Thingworx\/Oauths\/oauth(;|$)/);
      expect(binding).toMatch(/; HttpOnly(;|$)/);
      expect(binding).toMatch(/; SameSite=Lax(;|$)/);
      expect(binding).not.toMatch(/; Secure/);
      const maxAge = Number(/Max-Age=(\d+)/.exec(binding)?.[1]);
      expect(maxAge).toBeGreaterThan(590);
      expect(maxAge).toBeLessThanOrEqual(600);
      const csrf = (confirmation?.headers['set-cookie'] ?? []).find((c) => c.startsWith('flow_csrf=')) ?? '';
      expect(csrf).toMatch(/; HttpOnly(;|$)/);
      expect(csrf).toMatch(/; SameSite=Strict(;|$)/);
      rememberSecrets(browser, state);
    });

    it('the same provider sign-in finished by a second client without the cookie is refused: nothing exchanged, no connector; the first client then finishes it', async () => {
      const { authorizeUrl } = await startLink('Swap_1');
      const first = new HttpSession();
      const { providerUrl } = await openStartLink(first, authorizeUrl);
      // The provider sign-in happens (here: as another person), and its redirect is opened elsewhere.
      const back = await oidc.completeAuthorization(providerUrl, { login: 'someone-else' });
      const grantsBefore = await codeGrants('client-basic-pkce');
      const second = new HttpSession();
      const refused = await second.request('GET', back);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('Finish the sign-in in the browser where it was started');
      expect(refused.body).toContain('browser_not_bound');
      expect(await codeGrants('client-basic-pkce')).toBe(grantsBefore);
      expect(await labelExists('Swap_1')).toBe(false);
      // A forged cookie of the right name does not pass either.
      const forged = new HttpSession();
      const cookieName = first.cookiesFor(flow.url).find((c) => c.name.startsWith('flow_signin_'))?.name ?? '';
      forged.setCookie(flow.url, cookieName, 'A'.repeat(43), '/Thingworx/Oauths/oauth');
      expect((await forged.request('GET', back)).status).toBe(403);
      expect(await codeGrants('client-basic-pkce')).toBe(grantsBefore);

      const finished = await first.request('GET', back);
      expect(finished.status).toBe(200);
      expect(finished.body).toContain('Swap_1');
      expect(await codeGrants('client-basic-pkce')).toBe(grantsBefore + 1);
      expect((await connectorByLabel('Swap_1')).owner).toBe('alice');
      // The binding cookie is cleared once the sign-in is over.
      expect(finished.headers['set-cookie']?.some((c) => c.startsWith(`${cookieName}=;`) && /Max-Age=0/.test(c))).toBe(true);
      expect(first.cookiesFor(flow.url).some((c) => c.name === cookieName)).toBe(false);
      rememberSecrets(first, new URL(back).searchParams.get('code'));
    });

    it('a start link opened a second time is refused, in the same browser and in another', async () => {
      const { authorizeUrl } = await startLink('Twice_1');
      const browser = new HttpSession();
      await openStartLink(browser, authorizeUrl);
      for (const again of [browser, new HttpSession()]) {
        const res = await again.request('GET', authorizeUrl);
        expect(res.status).toBe(404);
        expect(res.body).toContain('already used, has expired or is incomplete');
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      const unknown = await browser.request('GET', `${flow.config.publicUrl}/Thingworx/Oauths/oauth/start?id=${'x'.repeat(43)}`);
      expect(unknown.status).toBe(404);
      expect((await browser.request('GET', `${flow.config.publicUrl}/Thingworx/Oauths/oauth/start`)).status).toBe(404);
    });

    it('two sign-ins in parallel in one client both work (both confirmation pages open before either is sent)', async () => {
      const a = await startLink('Parallel_A');
      const b = await startLink('Parallel_B');
      const browser = new HttpSession();
      const pageA = await browser.request('GET', a.authorizeUrl);
      const pageB = await browser.request('GET', b.authorizeUrl);
      const submit = async (page: typeof pageA) => {
        const form = readForm(page.body);
        if (!form) throw new Error('no form on the confirmation page');
        const res = await browser.request('POST', new URL(form.action, page.url).toString(), form.hidden);
        expect(res.status).toBe(303);
        return res.headers.location as string;
      };
      const [providerA, providerB] = [await submit(pageA), await submit(pageB)];
      const [backA, backB] = await Promise.all([oidc.completeAuthorization(providerA), oidc.completeAuthorization(providerB)]);
      expect(browser.cookiesFor(flow.url).filter((c) => c.name.startsWith('flow_signin_'))).toHaveLength(2);
      const [doneB, doneA] = [await browser.request('GET', backB), await browser.request('GET', backA)];
      expect([doneA.status, doneB.status]).toEqual([200, 200]);
      expect(await labelExists('Parallel_A')).toBe(true);
      expect(await labelExists('Parallel_B')).toBe(true);
    });

    it("a Flow session of the owner goes straight on to the provider; another user's session is refused and uses nothing", async () => {
      const sessions = flow.app.get(BrowserSessions);
      const { authorizeUrl } = await startLink('Session_1');
      const mallory = new HttpSession();
      mallory.setCookie(flow.url, 'flow_session', (await sessions.create({ kind: 'user', name: 'mallory' }, hashApiKey(otherKey))).id);
      const refused = await mallory.request('GET', authorizeUrl);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('wrong_flow_user');
      expect(refused.body).toContain('signed in to Flow as &#34;mallory&#34;');
      expect(refused.headers['set-cookie']).toBeUndefined();
      // Not even with a valid confirmation form from another browser.
      const form = readForm((await new HttpSession().request('GET', authorizeUrl)).body);
      const csrfToken = form?.hidden['csrf_token'] ?? '';
      mallory.setCookie(flow.url, 'flow_csrf', csrfToken, '/Thingworx/Oauths/oauth');
      expect((await mallory.request('POST', `${flow.config.publicUrl}/Thingworx/Oauths/oauth/start`, form?.hidden)).status).toBe(403);

      const owner = new HttpSession();
      owner.setCookie(flow.url, 'flow_session', (await sessions.create({ kind: 'user', name: 'alice' }, hashApiKey(userKey))).id);
      const straight = await owner.request('GET', authorizeUrl);
      expect(straight.status).toBe(303);
      expect(new URL(straight.headers.location as string).origin).toBe(new URL(oidc.issuer).origin);
      const done = await owner.request('GET', await oidc.completeAuthorization(straight.headers.location as string));
      expect(done.status).toBe(200);
      expect((await connectorByLabel('Session_1')).owner).toBe('alice');
      // A session that ended counts as none: the confirmation page again.
      const ended = await sessions.create({ kind: 'user', name: 'alice' }, hashApiKey(userKey));
      await sessions.destroy(ended.id);
      const { authorizeUrl: other } = await startLink('Session_2');
      const later = new HttpSession();
      later.setCookie(flow.url, 'flow_session', ended.id);
      expect((await later.request('GET', other)).status).toBe(200);
      // So does the session of a key that was revoked (or of a key other than the user's): not "another user".
      const revokedKey = await flow.createUser('revoked-user');
      const revoked = await sessions.create({ kind: 'user', name: 'revoked-user' }, hashApiKey(revokedKey));
      const forged = await sessions.create({ kind: 'user', name: 'mallory' }, hashApiKey('flow_u_not-mallorys-key'));
      await flow.app.get(UsersService).delete('revoked-user');
      const { authorizeUrl: third } = await startLink('Session_3');
      for (const id of [revoked.id, forged.id]) {
        const browser = new HttpSession();
        browser.setCookie(flow.url, 'flow_session', id);
        expect((await browser.request('GET', third)).status).toBe(200);
      }
    });

    it('the confirmation form without the CSRF cookie or field, or with a wrong one, is refused and uses nothing', async () => {
      const { authorizeUrl } = await startLink('Csrf_1');
      const browser = new HttpSession();
      const page = await browser.request('GET', authorizeUrl);
      const form = readForm(page.body);
      if (!form) throw new Error('no form');
      const action = new URL(form.action, page.url).toString();
      const { id, csrf_token: token } = form.hidden;
      const wrongToken = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      const attempts: Array<[string, HttpSession, Record<string, string>]> = [
        ['no cookie', new HttpSession(), { id, csrf_token: token }],
        ['no field', browser, { id }],
        ['wrong field', browser, { id, csrf_token: wrongToken }],
        ['empty field', browser, { id, csrf_token: '' }],
      ];
      const forgedCookie = new HttpSession();
      forgedCookie.setCookie(flow.url, 'flow_csrf', wrongToken, '/Thingworx/Oauths/oauth');
      attempts.push(['wrong cookie', forgedCookie, { id, csrf_token: token }]);
      for (const [what, client, fields] of attempts) {
        const res = await client.request('POST', action, fields);
        expect({ what, status: res.status, error: /invalid_form/.test(res.body) }).toEqual({ what, status: 403, error: true });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      // A JSON body is not the form.
      const json = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(form.hidden), redirect: 'manual' });
      expect(json.status).toBe(415);
      // Nothing was used up: the genuine form still goes on.
      const ok = await browser.request('POST', action, form.hidden);
      expect(ok.status).toBe(303);
    });
  });

  it('concurrent requests for an expired token all wait for the one refresh and get its token', async () => {
    await signIn('OIDC-basic-pkce', 'Concurrent_2');
    const connector = await connectorByLabel('Concurrent_2');
    const refreshGrants = async () => (await oidc.tokenRequests()).filter((r) => r.clientId === 'client-basic-pkce' && r.grantType === 'refresh_token').length;
    const grantsBefore = await refreshGrants();
    await flow.updateConnector(connector.id, { expiresAt: new Date(Date.now() - 1000).toISOString(), nextRefreshAt: new Date(Date.now() - 60_000).toISOString() });
    const answers = await Promise.all(Array.from({ length: 8 }, () => flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.json.access_token)).size).toBe(1);
    expect(Date.parse(answers[0].json.expires_at)).toBeGreaterThan(Date.now());
    expect((await connectorByLabel('Concurrent_2')).tokenVersion).toBe(connector.tokenVersion + 1);
    expect((await refreshGrants()) - grantsBefore).toBe(1);
  });

  describe('security: refused with a clear error and nothing stored', () => {
    const count = () => flow.dataSource.getRepository(ConnectorEntity).count();

    it('a replayed state is refused and creates no second connector', async () => {
      const { back, browser } = await signIn('OIDC-post-pkce', 'Replay_1');
      const n = await count();
      const again = await browser.request('GET', back);
      expect(again.status).toBe(400);
      expect(again.body).toContain('expired or was already used');
      expect(await count()).toBe(n);
    });

    it('an expired state is refused', async () => {
      const { start, browser, providerUrl } = await startInBrowser('OIDC-post-pkce', 'Expired_1');
      const back = await oidc.completeAuthorization(providerUrl);
      const redis = flow.app.get<Redis>(REDIS);
      await redis.pexpire(`${flow.config.queuePrefix}:oauth-state:${createHash('sha256').update(start.json.state).digest('hex')}`, 1);
      await new Promise((r) => setTimeout(r, 20));
      const n = await count();
      const res = await browser.request('GET', back);
      expect(res.status).toBe(400);
      expect(await count()).toBe(n);
    });

    it('a tampered state is refused, and the real one still works once', async () => {
      const { browser, providerUrl } = await startInBrowser('OIDC-post-pkce', 'Tamper_1');
      const back = new URL(await oidc.completeAuthorization(providerUrl));
      const state = back.searchParams.get('state') as string;
      const tampered = new URL(back);
      tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
      const n = await count();
      expect((await browser.request('GET', tampered.toString())).status).toBe(400);
      expect(await count()).toBe(n);
      expect((await browser.request('GET', back.toString())).status).toBe(200);
    });

    it("a code from another flow is refused (the other flow's state does not fit it), even in the browser bound to both", async () => {
      const browser = new HttpSession();
      const a = await startInBrowser('OIDC-basic-pkce', 'Cross_A', browser);
      const b = await startInBrowser('OIDC-basic-pkce', 'Cross_B', browser);
      const backA = new URL(await oidc.completeAuthorization(a.providerUrl));
      backA.searchParams.set('state', b.start.json.state);
      const n = await count();
      const res = await browser.request('GET', backA.toString());
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(await count()).toBe(n);
    });

    it('a sign-in finishing after its provider was changed is refused (no connector under stale settings)', async () => {
      const { browser, providerUrl } = await startInBrowser('OIDC-post-nopkce', 'Stale_1');
      const back = await oidc.completeAuthorization(providerUrl);
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
      const page = await browser.request('GET', back);
      expect(page.status).toBe(409);
      expect(page.body).toContain('changed or removed during the sign-in');
      expect(await flow.dataSource.getRepository(ConnectorEntity).countBy({ label: 'Stale_1' })).toBe(0);
    });

    it('a missing code and a provider error each give a clear page', async () => {
      const noCodeStart = await startInBrowser('OIDC-post-nopkce', 'NoCode_1');
      const noCode = await noCodeStart.browser.request('GET', `${flow.config.returnUrl}?state=${encodeURIComponent(noCodeStart.start.json.state)}`);
      expect(noCode.status).toBe(400);
      expect(noCode.body).toContain('no authorization code');
      const denied = await startInBrowser('OIDC-post-nopkce', 'Denied_1');
      const back = await oidc.completeAuthorization(denied.providerUrl, { deny: true });
      expect(new URL(back).searchParams.get('error')).toBe('access_denied');
      // The provider's error, brought back by another client, is refused like a code: the sign-in stays with its browser.
      expect((await new HttpSession().request('GET', back)).status).toBe(403);
      const page = await denied.browser.request('GET', back);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Access was denied');
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
      const { providerUrl, confirmation } = await openStartLink(new HttpSession(), ok.json.authorizeUrl);
      expect(confirmation?.body).toContain('login.microsoftonline.com');
      expect(new URL(providerUrl).host).toBe('login.microsoftonline.com');
      expect(new URL(providerUrl).pathname).toBe('/contoso.onmicrosoft.com/oauth2/v2.0/authorize');
    });

    it('a post-sign-in redirect to a non-allowed origin is refused; an allowed one is offered', async () => {
      const bad = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-post-pkce', label: 'Redir_1', redirectUrl: 'https://evil.example.net/x' }, userKey);
      expect(bad.status).toBe(400);
      const good = await startInBrowser('OIDC-post-pkce', 'Redir_2', new HttpSession(), { redirectUrl: 'https://flow.example.com/done' });
      const html = (await good.browser.request('GET', await oidc.completeAuthorization(good.providerUrl))).body;
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

    it('token answers are not cacheable (no-store, Pragma no-cache) and no API answer has an ETag', async () => {
      await signIn('OIDC-post-pkce', 'Cache_1');
      const connector = await connectorByLabel('Cache_1');
      const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
      expect(token.status).toBe(200);
      expect(token.headers.get('cache-control')).toBe('no-store');
      expect(token.headers.get('pragma')).toBe('no-cache');
      expect(token.headers.get('etag')).toBeNull();
      for (const path of ['/api/connectors', `/api/connectors/${connector.id}`, '/api/providers', '/health']) {
        const res = await flow.call('GET', path, undefined, userKey);
        expect({ path, status: res.status, etag: res.headers.get('etag'), nosniff: res.headers.get('x-content-type-options') }).toEqual({ path, status: 200, etag: null, nosniff: 'nosniff' });
      }
    });

    it('pages carry a strict CSP (no script, styles from the served stylesheet only), nosniff, no-referrer and no framing; JSON answers nosniff', async () => {
      const strict = ["default-src 'none'", "style-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"];
      const { page } = await signIn('OIDC-post-pkce', 'Headers_1');
      const refused = await new HttpSession().request('GET', `${flow.config.returnUrl}?state=unknown&code=x`);
      for (const res of [page, refused]) {
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(cspDirectives(res.headers['content-security-policy'])).toEqual(strict);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body).not.toMatch(/<script|<style|\sstyle=/i);
        expect(res.body).toContain('<link rel="stylesheet" href="/assets/flow.css">');
      }
      const css = await fetch(`${flow.url}/assets/flow.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect(css.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await css.text()).toContain('font-family');
      for (const res of [await flow.call('GET', '/api/providers', undefined, null), await flow.call('GET', '/api/connectors/nope', undefined, userKey), await flow.call('GET', '/api/providers', undefined, userKey)]) {
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(cspDirectives(res.headers.get('content-security-policy'))).toEqual(strict);
      }
    });

    it('no token or secret appears in any log line or list answer', async () => {
      const rows = await flow.dataSource.getRepository(ConnectorEntity).find();
      const store = new ConnectorTokenStore(new SecretBox(flow.config.encryptionKey), { refreshMarginSeconds: 300 });
      const tokens = rows.flatMap((r) => Object.values(store.open(r)).filter((t): t is string => !!t));
      expect(tokens.length).toBeGreaterThan(4);
      const answers = [(await flow.call('GET', '/api/connectors')).text, (await flow.call('GET', '/api/providers', undefined, userKey)).text];
      const haystack = logs.text() + answers.join('\n');
      expect(signInSecrets.size).toBeGreaterThan(20);
      for (const secret of [...tokens, ...combos.map((c) => secretOf(c.name)), ...signInSecrets]) expect(haystack).not.toContain(secret);
    });
  });
});
