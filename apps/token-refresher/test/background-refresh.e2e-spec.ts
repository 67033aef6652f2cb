import { randomUUID } from 'node:crypto';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { type OidcTestServer, startOidcTestServer, startRecordingServer } from '@flow-oauth/testing';
import { ConnectorTokenStore, RefreshProducer, RefreshSweep } from '@flow-oauth/token-refresh';
import type { INestApplication } from '@nestjs/common';
import { oidcProvider, REDIRECT, type RefresherRig, startRig } from './refresher-rig';

/**
 * token-refresher against a real authorization server (oidc-provider): a connector's refresh job
 * comes due and the worker refreshes it in the background, persisting the rotated refresh token and
 * scheduling the next job; a dead refresh token turns the connector needs_reauth.
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

  it('refreshes a due connector in the background, rotates its refresh token and schedules the next refresh', async () => {
    const created = await createConnector('Background_1');
    expect(await rig.queue.getJob(RefreshProducer.jobId(created.id, 1))).toBeDefined();
    const refreshed = await rig.untilConnector('Background_1', (c) => c.tokenVersion >= 2);
    expect(refreshed.status).toBe('active');
    expect(refreshed.refreshToken).not.toBe(created.refreshToken);
    expect(refreshed.accessToken).not.toBe(created.accessToken);
    expect(Date.parse(refreshed.expiresAt as string)).toBeGreaterThan(Date.parse(created.expiresAt as string));
    // The next refresh is queued for the new token version (right after the token write commits).
    const deadline = Date.now() + 5000;
    let next = await rig.queue.getJob(RefreshProducer.jobId(created.id, refreshed.tokenVersion));
    while (!next && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      next = await rig.queue.getJob(RefreshProducer.jobId(created.id, refreshed.tokenVersion));
    }
    expect(next ? await next.getState() : 'missing').toMatch(/delayed|waiting|active|completed/);
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
      const rl = (await rig.providers.all()).find((p) => p.name === 'Rate-Limited');
      const box = rig.box;
      const now = nowIso();
      const id = randomUUID();
      const connector = Object.assign(new ConnectorEntity(), {
        id, label: 'Rate_Limited', providerId: rl?.id, type: 'odata', providerName: 'Rate-Limited', owner: 'alice', status: 'active',
        accessToken: box.seal('at-old', { table: 'connectors', column: 'access_token', row: id }), refreshToken: box.seal('rt-old', { table: 'connectors', column: 'refresh_token', row: id }), tokenType: 'Bearer', scope: null,
        // Issued an hour ago, expiring in a minute: due now.
        expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: now, params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: now,
      });
      await rig.dataSource.getRepository(ConnectorEntity).insert(connector);
      await app.get(RefreshProducer).schedule(connector, 'created');
      const done = await rig.untilConnector('Rate_Limited', (c) => c.tokenVersion >= 2);
      expect(done.status).toBe('active');
      expect(app.get(ConnectorTokenStore).open(done)).toEqual({ accessToken: 'at-after-429', refreshToken: 'rt-after-429' });
      const [first, second] = provider.requests;
      expect(first.form.get('refresh_token')).toBe('rt-old');
      expect(second.form.get('refresh_token')).toBe('rt-old');
      expect(provider.requests).toHaveLength(2);
    } finally {
      await provider.stop();
    }
  });

  it('the sweep re-creates a refresh job lost from Redis', async () => {
    const created = await createConnector('Background_Sweep');
    await rig.queue.remove(RefreshProducer.jobId(created.id, 1));
    expect(await rig.queue.getJob(RefreshProducer.jobId(created.id, 1))).toBeUndefined();
    const healed = await app.get(RefreshSweep).run();
    expect(healed.recreated).toBeGreaterThanOrEqual(1);
    expect(await rig.queue.getJob(RefreshProducer.jobId(created.id, 1))).toBeDefined();
  });
});
