import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { REDIS } from '@flow-oauth/redis';
import { holdSqliteWriteLock, HttpSession, type OidcTestServer, openStartLink, startOidcTestServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { ConnectorLock, RefreshHistory } from '@flow-oauth/token-refresh';
import type { Redis } from 'ioredis';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * The token API under faults: a refresh holder that died (its lock left behind), a provider that
 * refuses Flow's client credentials after an operator mistyped a rotated secret, and (SQLite)
 * another process holding the database's write lock.
 */
describe.each(TEST_DATABASE_KINDS)('token API under refresh faults on %s', (kind) => {
  let oidc: OidcTestServer;
  let flow: RunningFlowServer;
  let userKey: string;
  const secret = 'tf-secret-Lq2098';
  const provider = (clientSecret: string) => ({
    odata: {
      'OIDC-Faults': {
        CLIENT_ID: 'tf-client',
        CLIENT_SECRET: clientSecret,
        oauth2_auth_url: oidc.authorizationEndpoint,
        oauth2_token_url: oidc.tokenEndpoint,
        oauth2_client_auth: 'client_secret_post',
        oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline"}'],
      },
    },
  });

  beforeAll(async () => {
    flow = await startFlowServer(kind);
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'tf-client', clientSecret: secret, redirectUris: [flow.config.returnUrl], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
    });
    await flow.loadProviders(provider(secret));
    userKey = await flow.createUser('alice');
  });
  afterAll(async () => {
    await flow?.close();
    await oidc?.stop();
  });

  async function connect(label: string): Promise<ConnectorEntity> {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Faults', label }, userKey);
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    expect((await browser.request('GET', await oidc.completeAuthorization(providerUrl))).status).toBe(200);
    return flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label });
  }
  const token = (id: string) => flow.call('GET', `/api/connectors/${id}/token`, undefined, userKey);
  const setExpiry = (id: string, expiresInMs: number) =>
    flow.updateConnector(id, { expiresAt: new Date(Date.now() + expiresInMs).toISOString(), nextRefreshAt: new Date(Date.now() - 1000).toISOString() });
  const refreshes = async () => (await oidc.tokenRequests()).filter((r) => r.clientId === 'tf-client' && r.grantType === 'refresh_token');
  /** The admin chart's counts over the last two clock hours (Redis ping first: a record is sent without waiting). */
  const chart = async () => {
    await flow.app.get<Redis>(REDIS).ping();
    const hours = await flow.app.get(RefreshHistory).lastHours(2);
    const sum = (pick: (h: (typeof hours)[number]) => number) => hours.reduce((n, h) => n + pick(h), 0);
    return { refreshed: sum((h) => h.refreshed), failed: sum((h) => h.failed), skipped: sum((h) => h.byOutcome.skipped ?? 0) };
  };

  it('serves a still-valid token at once while a dead refresher holds the lock; an expired one is refreshed once that lock frees', async () => {
    const redis = flow.app.get<Redis>(REDIS);
    const connector = await connect(`Dead_Holder_${kind}`);
    const stored = (await token(connector.id)).json.access_token;
    const lockKey = flow.app.get(ConnectorLock).key(connector.id);
    const before = (await refreshes()).length;

    // Due, still valid for a minute, and a killed refresher's lock (10 s, never extended, never released).
    await setExpiry(connector.id, 60_000);
    await redis.set(lockKey, 'killed-holder', 'PX', 10_000);
    const meanwhile = await token(connector.id);
    expect(meanwhile.status).toBe(200);
    expect(meanwhile.json.access_token).toBe(stored);
    // Answered while the dead holder's lock was still there: it did not wait for it.
    expect(await redis.pttl(lockKey)).toBeGreaterThan(0);

    // Expired now: the request waits for the lock and refreshes once it frees. (A holder killed 7 s
    // into its 10 s lock: 3 s left, to keep the test short; the refresher suite measures a whole one.)
    await setExpiry(connector.id, -1000);
    await redis.set(lockKey, 'killed-holder', 'PX', 3000);
    const asked = Date.now();
    const healed = await token(connector.id);
    console.log(`${kind}: expired token behind a dead holder's lock answered after ${Date.now() - asked} ms`);
    expect(healed.status).toBe(200);
    expect(healed.json.access_token).not.toBe(stored);
    expect(Date.parse(healed.json.expires_at)).toBeGreaterThan(Date.now());
    expect((await refreshes()).length - before).toBe(1);
    const view = (await flow.call('GET', `/api/connectors/${connector.id}`, undefined, userKey)).json;
    expect(view).toMatchObject({ status: 'active', lastRefreshedAt: expect.any(String), nextRefreshAt: expect.any(String) });
    expect(Date.parse(view.nextRefreshAt)).toBeLessThan(Date.parse(view.expiresAt));
  });

  it("invalid_client after a mistyped secret rotation: the provider is credentials_rejected, valid tokens are still served, expired ones answer 503, a fixing load resumes", async () => {
    const connector = await connect(`Typo_${kind}`);
    const stored = (await token(connector.id)).json.access_token;
    await flow.loadProviders(provider('tf-MISTYPED'));
    const before = await refreshes();
    const chartBefore = await chart();

    // Due but valid: the refresh is refused for the client, the stored token is the answer.
    await setExpiry(connector.id, 60_000);
    const served = await token(connector.id);
    expect(served.status).toBe(200);
    expect(served.json.access_token).toBe(stored);
    const rejected = await flow.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'OIDC-Faults' });
    expect(rejected).toMatchObject({ state: 'credentials_rejected', rejectedError: 'invalid_client' });
    const refused = await refreshes();
    expect(refused.slice(before.length).map((r) => r.error)).toEqual(['invalid_client']);

    // Expired: 503 naming the provider; nothing is asked of the provider while it is rejected.
    await setExpiry(connector.id, -1000);
    const expired = await token(connector.id);
    expect(expired.status).toBe(503);
    expect(expired.json).toMatchObject({ error: 'provider_credentials_rejected', type: 'odata', provider: 'OIDC-Faults', rejectedError: 'invalid_client', rejectedAt: rejected.rejectedAt });
    expect(expired.json.message).toContain('odata/OIDC-Faults');
    expect(JSON.stringify(expired.json)).not.toContain('tf-MISTYPED');
    expect((await token(connector.id)).status).toBe(503);
    expect((await refreshes()).length).toBe(refused.length);
    // The admin chart: one real failure (the provider's invalid_client); the two refreshes that did
    // not call the provider are skipped, not failures.
    const chartAfter = await chart();
    expect({ failed: chartAfter.failed - chartBefore.failed, skipped: chartAfter.skipped - chartBefore.skipped }).toEqual({ failed: 1, skipped: 2 });
    // The connector kept its status and its tokens.
    expect(await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id: connector.id })).toMatchObject({
      status: 'active',
      tokenVersion: connector.tokenVersion,
      accessToken: connector.accessToken,
      refreshToken: connector.refreshToken,
    });

    // The operator loads the right secret: the next request refreshes, no sign-in needed.
    await flow.loadProviders(provider(secret));
    const fixed = await token(connector.id);
    expect(fixed.status).toBe(200);
    expect(fixed.json.access_token).not.toBe(stored);
    expect((await refreshes()).slice(refused.length).map((r) => r.error ?? r.status)).toEqual([200]);
  });

  (kind === 'sqlite' ? it : it.skip)(
    "another process holds SQLite's write lock: a due, still-valid token is served as stored, an expired one answers 503 without asking the provider; both refresh once it lets go",
    async () => {
      const valid = await connect(`Locked_Valid_${kind}`);
      const expired = await connect(`Locked_Expired_${kind}`);
      const stored = (await token(valid.id)).json.access_token;
      const storedExpired = (await token(expired.id)).json.access_token;
      await setExpiry(valid.id, 60_000);
      await setExpiry(expired.id, -1000);
      const before = (await refreshes()).length;
      if (flow.config.database.type !== 'sqlite') throw new Error('a SQLite database was asked for');
      const lock = await holdSqliteWriteLock(flow.config.database.file);
      let answers: Array<{ status: number; error?: string; token?: string }>;
      try {
        // A burst, as workflows asking for due tokens would send while the database is locked.
        const calls = await Promise.all([valid, expired, valid, expired, valid, expired].map((c) => token(c.id)));
        answers = calls.map((a) => ({ status: a.status, error: a.json.error, token: a.json.access_token }));
      } finally {
        await lock.release();
      }
      expect(answers.filter((a, i) => i % 2 === 0)).toEqual(Array(3).fill({ status: 200, error: undefined, token: stored }));
      expect(answers.filter((a, i) => i % 2 === 1)).toEqual(Array(3).fill({ status: 503, error: 'dependency_unavailable', token: undefined }));
      // The refresh could not have stored a rotated token: the provider was not asked.
      expect((await refreshes()).length).toBe(before);

      // The database takes writes again (a refused write pauses this process's refresh writes for a second).
      await waitForToken(expired.id, storedExpired);
      await waitForToken(valid.id, stored);
      expect((await refreshes()).slice(before).map((r) => r.error ?? r.status)).toEqual([200, 200]);
    },
  );

  /** Asks for a token until it answers 200 with another token than `not` (a bound, not a speed check). */
  async function waitForToken(id: string, not: string): Promise<{ access_token: string }> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await token(id);
      if (answer.status === 200 && answer.json.access_token !== not) return answer.json;
      if (Date.now() > deadline) throw new Error(`token of ${id} still answers ${answer.status} ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});
