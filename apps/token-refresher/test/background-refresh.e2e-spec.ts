import { randomUUID } from 'node:crypto';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { LogCapture, type OidcTestServer, startOidcTestServer, startRecordingServer, waitFor } from '@flow-oauth/testing';
import { ConnectorTokenStore, REFRESH_CLAIM_MS, REFRESH_RETRY } from '@flow-oauth/token-refresh';
import type { INestApplication } from '@nestjs/common';
import { oidcProvider, REDIRECT, type RefresherRig, startRig } from './refresher-rig';

/**
 * token-refresher against a real authorization server (oidc-provider): a connector comes due
 * (next_refresh_at) and the due-refresh loop refreshes it in the background, persisting the rotated
 * refresh token with the next refresh time; a dead refresh token turns the connector needs_reauth;
 * failed attempts are counted on the row and retried at their time.
 */
describe('token-refresher background refresh', () => {
  let rig: RefresherRig;
  let oidc: OidcTestServer;
  let app: INestApplication;

  beforeAll(async () => {
    // Access tokens live 6 s: a refresh is due at half that life (the margin of 300 s is longer than the token lives).
    rig = await startRig('sqlite');
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'bg-client', clientSecret: 'bg-secret-4242', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 6,
    });
    app = await rig.startRefresher();
    await rig.load({ odata: { 'OIDC-Background': oidcProvider(oidc, 'bg-client', 'bg-secret-4242') } });
  });

  afterAll(async () => {
    await rig?.close();
    await oidc?.stop();
  });

  /** Signs in at the real server with the protocol client, and stores the connector as the return endpoint would. */
  const createConnector = (label: string): Promise<ConnectorEntity> => rig.signIn(oidc, 'OIDC-Background', label);

  /**
   * Stores a connector of a loaded provider that is due now (its token expires in a minute), with
   * the given tokens sealed for its row, as a sign-in would have stored it.
   */
  async function insertDueConnector(label: string, providerName: string, tokens: { accessToken: string; refreshToken: string; tokenType?: string }): Promise<string> {
    const provider = (await rig.providers.all()).find((p) => p.name === providerName);
    if (!provider) throw new Error(`provider ${providerName} not loaded`);
    const now = nowIso();
    const id = randomUUID();
    await rig.dataSource.getRepository(ConnectorEntity).insert(
      Object.assign(new ConnectorEntity(), {
        id, label, providerId: provider.id, type: provider.type, providerName: provider.name, owner: 'alice', status: 'active',
        accessToken: rig.box.seal(tokens.accessToken, { table: 'connectors', column: 'access_token', row: id }),
        refreshToken: rig.box.seal(tokens.refreshToken, { table: 'connectors', column: 'refresh_token', row: id }),
        tokenType: tokens.tokenType ?? 'Bearer', scope: null,
        expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: now, params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: now,
      }),
    );
    return id;
  }

  it('refreshes a due connector in the background, rotates its refresh token and schedules the next refresh', async () => {
    const created = await createConnector('Background_1');
    expect(created.nextRefreshAt).toBeTruthy();
    const refreshed = await rig.untilConnector('Background_1', (c) => c.tokenVersion >= 2);
    expect(refreshed.status).toBe('active');
    expect(refreshed.refreshToken).not.toBe(created.refreshToken);
    expect(refreshed.accessToken).not.toBe(created.accessToken);
    expect(Date.parse(refreshed.expiresAt as string)).toBeGreaterThan(Date.parse(created.expiresAt as string));
    // The next refresh time is written with the tokens: later than the first one, before the new expiry.
    expect(Date.parse(refreshed.nextRefreshAt as string)).toBeGreaterThan(Date.parse(created.nextRefreshAt as string));
    expect(Date.parse(refreshed.nextRefreshAt as string)).toBeLessThan(Date.parse(refreshed.expiresAt as string));
    expect(refreshed.lastRefreshedAt).toBeTruthy();
    expect(refreshed.refreshAttempts).toBe(0);
    expect(refreshed.refreshRetryAt).toBeNull();
  });

  it('refreshes it again at each next due time, sooner than a claim lasts (tokens of 6 s: every 3 s), so no token set expires before it is replaced', async () => {
    await createConnector('Background_Again');
    const second = await rig.untilConnector('Background_Again', (c) => c.tokenVersion >= 2);
    // The write that stored them ended this process's claim on the connector.
    expect(second.refreshClaimedUntil).toBeNull();
    expect(REFRESH_CLAIM_MS).toBeGreaterThan(6000);
    const third = await rig.untilConnector('Background_Again', (c) => c.tokenVersion >= 3);
    expect(Date.parse(third.lastRefreshedAt as string)).toBeLessThan(Date.parse(second.expiresAt as string));
  });

  it('a refresh token the server no longer accepts makes the connector needs_reauth, without retries', async () => {
    const created = await createConnector('Background_Dead');
    // Make the stored refresh token one the server never issued.
    const store = app.get(ConnectorTokenStore);
    const box = rig.box;
    expect(store.open(created).refreshToken).toBeTruthy();
    await rig.dataSource.getRepository(ConnectorEntity).update({ id: created.id }, { refreshToken: box.seal('not-a-real-refresh-token', { table: 'connectors', column: 'refresh_token', row: created.id }) });
    const dead = await rig.untilConnector('Background_Dead', (c) => c.status !== 'active');
    expect(dead.status).toBe('needs_reauth');
    expect(dead.lastError).toBe('invalid_grant');
  });

  it('a provider answering 429 with Retry-After is asked again when it said, then the refresh lands (provider mocked: oidc-provider does not rate-limit)', async () => {
    const provider = await startRecordingServer();
    let calls = 0;
    provider.respond(() => {
      calls += 1;
      return calls === 1
        ? { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow_down' } }
        : { body: { access_token: 'at-after-429', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-after-429' } };
    });
    try {
      await rig.load(
        { odata: { 'Rate-Limited': { CLIENT_ID: 'rl', CLIENT_SECRET: 'rl-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } },
      );
      await insertDueConnector('Rate_Limited', 'Rate-Limited', { accessToken: 'at-old', refreshToken: 'rt-old' });
      const done = await rig.untilConnector('Rate_Limited', (c) => c.tokenVersion >= 2);
      expect(done.status).toBe('active');
      expect(app.get(ConnectorTokenStore).open(done)).toEqual({ accessToken: 'at-after-429', refreshToken: 'rt-after-429' });
      const [first, second] = provider.requests;
      expect(first.form.get('refresh_token')).toBe('rt-old');
      expect(second.form.get('refresh_token')).toBe('rt-old');
      expect(provider.requests).toHaveLength(2);
      expect(done.refreshAttempts).toBe(0);
    } finally {
      await provider.stop();
    }
  });

  it('a refresh token refused because a reconnect replaced the grant while the refresh was at the provider leaves the connector as the reconnect wrote it (provider mocked: the reconnect is timed inside its answer)', async () => {
    const provider = await startRecordingServer();
    const logs = new LogCapture().start();
    let id = '';
    let answered = 0;
    provider.respond(async () => {
      // The user signs in again meanwhile: new tokens, a new token version, the old grant revoked.
      const fresh = app.get(ConnectorTokenStore).columns(id, { accessToken: 'at-reconnect', refreshToken: 'rt-reconnect', tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3600_000), metadata: {} }, null);
      await rig.dataSource.getRepository(ConnectorEntity).update({ id }, { ...fresh, tokenVersion: 2 });
      answered = Date.now();
      return { status: 400, body: { error: 'invalid_grant', error_description: 'grant revoked' } };
    });
    try {
      await rig.load({ odata: { 'Reconnected-Provider': { CLIENT_ID: 'rc', CLIENT_SECRET: 'rc-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } });
      id = await insertDueConnector('Reconnected_1', 'Reconnected-Provider', { accessToken: 'at-old', refreshToken: 'rt-old' });
      await waitFor('the refused refresh', () => answered || undefined, 10_000, 20);
      // The refused refresh has ended, as stale (its tokens moved on), not as needs_reauth.
      await waitFor('the refresh outcome', () => logs.text().includes(`refresh of connector ${id}: stale`) || logs.text().includes(`refresh of connector ${id}: needs_reauth`) || undefined, 10_000, 20);
      const after = await rig.connector('Reconnected_1');
      expect(after).toMatchObject({ status: 'active', tokenVersion: 2, lastError: null });
      expect(app.get(ConnectorTokenStore).open(after)).toEqual({ accessToken: 'at-reconnect', refreshToken: 'rt-reconnect' });
      expect(provider.requests).toHaveLength(1);
    } finally {
      logs.stop();
      await provider.stop();
    }
  });

  it('a failed attempt is counted on the row and retried at its time; after REFRESH_RETRY.attempts the connector shows refresh_failed, and recovers (provider mocked: a 500 on demand)', async () => {
    const provider = await startRecordingServer();
    let failing = true;
    provider.respond(() =>
      failing ? { status: 500, body: { error: 'server_error' } } : { body: { access_token: 'at-recovered', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-recovered' } },
    );
    try {
      await rig.load({ odata: { 'Failing-Provider': { CLIENT_ID: 'fp', CLIENT_SECRET: 'fp-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } });
      const id = await insertDueConnector('Failing_1', 'Failing-Provider', { accessToken: 'at-old', refreshToken: 'rt-old' });
      const once = await rig.untilConnector('Failing_1', (c) => c.refreshAttempts >= 1);
      expect(once.status).toBe('active');
      expect(once.tokenVersion).toBe(1);
      expect(once.lastError).toMatch(/HTTP 500/);
      // The next attempt waits the backoff (30 s and more, with jitter), not a poll of the loop.
      expect(Date.parse(once.refreshRetryAt as string)).toBeGreaterThan(Date.now() + 5_000);
      const calls = provider.requests.length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(provider.requests).toHaveLength(calls);

      // The last attempt before refresh_failed: its retry time brought forward.
      await rig.dataSource.getRepository(ConnectorEntity).update({ id }, { refreshAttempts: REFRESH_RETRY.attempts - 1, refreshRetryAt: nowIso() });
      const failed = await rig.untilConnector('Failing_1', (c) => c.status === 'refresh_failed');
      expect(failed.refreshAttempts).toBe(REFRESH_RETRY.attempts);
      expect(failed.tokenVersion).toBe(1);
      expect(app.get(ConnectorTokenStore).open(failed)).toEqual({ accessToken: 'at-old', refreshToken: 'rt-old' });

      // refresh_failed connectors keep being tried; the provider is back: the next attempt lands.
      failing = false;
      await rig.dataSource.getRepository(ConnectorEntity).update({ id }, { refreshRetryAt: nowIso() });
      const recovered = await rig.untilConnector('Failing_1', (c) => c.tokenVersion >= 2);
      expect(recovered.status).toBe('active');
      expect(recovered.refreshAttempts).toBe(0);
      expect(recovered.refreshRetryAt).toBeNull();
      expect(app.get(ConnectorTokenStore).open(recovered)).toEqual({ accessToken: 'at-recovered', refreshToken: 'rt-recovered' });
    } finally {
      await provider.stop();
    }
  });

  it('takes a connector of a provider that never refreshes (OAuth 1.0a) off the schedule for good', async () => {
    await rig.load({ trello: { 'Trello-Never': { CONSUMER_KEY: 'tk', CONSUMER_SECRET: 'ts-never' } } });
    // A row that came due anyway (written before the schedule knew better).
    await insertDueConnector('Trello_Due', 'Trello-Never', { accessToken: 'oauth1-token', refreshToken: 'oauth1-secret', tokenType: 'OAuth1' });
    const off = await rig.untilConnector('Trello_Due', (c) => c.nextRefreshAt === null);
    expect(off).toMatchObject({ status: 'active', tokenVersion: 1, refreshAttempts: 0, lastError: null });
  });

  it("keeps refreshing after the deployment's Redis data is lost (the schedule is in the database)", async () => {
    await createConnector('Background_Flushed');
    const keys = await rig.redis.keys(`${rig.config.queuePrefix}:*`);
    if (keys.length > 0) await rig.redis.del(...keys);
    const refreshed = await rig.untilConnector('Background_Flushed', (c) => c.tokenVersion >= 2);
    expect(refreshed.status).toBe('active');
  });
});
