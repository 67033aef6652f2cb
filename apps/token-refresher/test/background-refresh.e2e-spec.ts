import { randomUUID } from 'node:crypto';
import { migrateDatabase, startAppInProcess, startFlowContext } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { OAuthClient } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { ProviderConfigModule, ProviderConfigurationService } from '@flow-oauth/provider-config';
import { ProviderReader } from '@flow-oauth/provider-reader';
import { FlowApp, QueueName } from '@flow-oauth/queue-contracts';
import { bullConnectionOptions } from '@flow-oauth/redis';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, type OidcTestServer, startOidcTestServer, startRecordingServer, testConfig, testRedisPrefix, type TestDatabase } from '@flow-oauth/testing';
import { ConnectorTokenStore, RefreshProducer, RefreshSweep } from '@flow-oauth/token-refresh';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { TokenRefresherModule } from '../src/app/token-refresher.module';

const REDIRECT = 'http://127.0.0.1:9/Thingworx/Oauths/oauth/return';

/**
 * token-refresher against a real authorization server (oidc-provider): a connector's refresh job
 * comes due and the worker refreshes it in the background, persisting the rotated refresh token and
 * scheduling the next job; a dead refresh token turns the connector needs_reauth.
 */
describe('token-refresher background refresh', () => {
  let db: TestDatabase;
  let config: FlowConfig;
  let oidc: OidcTestServer;
  let app: INestApplication;
  let loader: INestApplicationContext;
  let queue: Queue;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    // Access tokens live 6 s: a refresh is due at half that life (the margin of 300 s is longer than the token lives).
    config = testConfig({ DATABASE_URL: db.url, FLOW_QUEUE_PREFIX: testRedisPrefix('tr'), FLOW_PUBLIC_URL: 'http://127.0.0.1:9' });
    await migrateDatabase(config);
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'bg-client', clientSecret: 'bg-secret-4242', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 6,
    });
    app = await startAppInProcess({ name: 'token-refresher', module: TokenRefresherModule.forRoot }, config);
    // config-loader's part: the provider-settings use case (token-refresher has none).
    loader = await startFlowContext(config, { app: FlowApp.ConfigLoader, runMigrations: false, workQueues: true }, [ProviderConfigModule]);
    await loader.get(ProviderConfigurationService).load(
      {
        odata: {
          'OIDC-Background': {
            CLIENT_ID: 'bg-client',
            CLIENT_SECRET: 'bg-secret-4242',
            oauth2_auth_url: oidc.authorizationEndpoint,
            oauth2_token_url: oidc.tokenEndpoint,
            oauth2_client_auth: 'client_secret_post',
            oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline"}'],
          },
        },
      },
      { dryRun: false },
    );
    queue = new Queue(QueueName.TokenRefresh, { connection: bullConnectionOptions(config.redisUrl), prefix: config.queuePrefix });
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await app?.close();
    await loader?.close();
    await oidc?.stop();
    await db?.drop();
  });

  /** Signs in at the real server with the protocol client, and stores the connector as the return endpoint would. */
  async function createConnector(label: string): Promise<ConnectorEntity> {
    const provider = (await app.get(ProviderReader).all()).find((p) => p.name === 'OIDC-Background');
    if (!provider) throw new Error('provider not loaded');
    const client = new OAuthClient({ returnUrl: REDIRECT, env: 'production' });
    const built = client.buildAuthorizationUrl(provider, { state: randomUUID(), connectionParams: {} });
    const back = new URL(await oidc.completeAuthorization(built.url));
    const tokens = await client.exchangeCode(provider, { code: back.searchParams.get('code') as string, codeVerifier: built.codeVerifier, connectionParams: {}, scope: built.scope });
    const now = nowIso();
    const id = randomUUID();
    const connector = Object.assign(new ConnectorEntity(), {
      id,
      label,
      providerId: provider.id,
      type: provider.type,
      providerName: provider.name,
      owner: 'alice',
      params: '{}',
      tokenVersion: 1,
      createdAt: now,
      ...app.get(ConnectorTokenStore).columns(id, { ...tokens, scope: built.scope }, null),
      metadata: '{}',
    });
    await app.get(DataSource).getRepository(ConnectorEntity).insert(connector);
    await app.get(RefreshProducer).schedule(connector, 'created');
    return connector;
  }

  async function waitFor(label: string, predicate: (c: ConnectorEntity) => boolean, ms = 20_000): Promise<ConnectorEntity> {
    const deadline = Date.now() + ms;
    for (;;) {
      const c = await app.get(DataSource).getRepository(ConnectorEntity).findOneByOrFail({ label });
      if (predicate(c)) return c;
      if (Date.now() > deadline) throw new Error(`connector ${label} did not reach the expected state: status ${c.status}, version ${c.tokenVersion}, ${c.lastError}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('refreshes a due connector in the background, rotates its refresh token and schedules the next refresh', async () => {
    const created = await createConnector('Background_1');
    expect(await queue.getJob(RefreshProducer.jobId(created.id, 1))).toBeDefined();
    const refreshed = await waitFor('Background_1', (c) => c.tokenVersion >= 2);
    expect(refreshed.status).toBe('active');
    expect(refreshed.refreshToken).not.toBe(created.refreshToken);
    expect(refreshed.accessToken).not.toBe(created.accessToken);
    expect(Date.parse(refreshed.expiresAt as string)).toBeGreaterThan(Date.parse(created.expiresAt as string));
    // The next refresh is queued for the new token version (right after the token write commits).
    const deadline = Date.now() + 5000;
    let next = await queue.getJob(RefreshProducer.jobId(created.id, refreshed.tokenVersion));
    while (!next && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      next = await queue.getJob(RefreshProducer.jobId(created.id, refreshed.tokenVersion));
    }
    expect(next ? await next.getState() : 'missing').toMatch(/delayed|waiting|active|completed/);
  });

  it('a refresh token the server no longer accepts makes the connector needs_reauth, without retries', async () => {
    const created = await createConnector('Background_Dead');
    // Make the stored refresh token one the server never issued.
    const store = app.get(ConnectorTokenStore);
    const box = new SecretBox(config.encryptionKey);
    expect(store.open(created).refreshToken).toBeTruthy();
    await app.get(DataSource).getRepository(ConnectorEntity).update({ id: created.id }, { refreshToken: box.seal('not-a-real-refresh-token', { table: 'connectors', column: 'refresh_token', row: created.id }) });
    const dead = await waitFor('Background_Dead', (c) => c.status !== 'active');
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
      await loader.get(ProviderConfigurationService).load(
        { odata: { 'Rate-Limited': { CLIENT_ID: 'rl', CLIENT_SECRET: 'rl-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } },
        { dryRun: false },
      );
      const rl = (await app.get(ProviderReader).all()).find((p) => p.name === 'Rate-Limited');
      const box = new SecretBox(config.encryptionKey);
      const now = nowIso();
      const id = randomUUID();
      const connector = Object.assign(new ConnectorEntity(), {
        id, label: 'Rate_Limited', providerId: rl?.id, type: 'odata', providerName: 'Rate-Limited', owner: 'alice', status: 'active',
        accessToken: box.seal('at-old', { table: 'connectors', column: 'access_token', row: id }), refreshToken: box.seal('rt-old', { table: 'connectors', column: 'refresh_token', row: id }), tokenType: 'Bearer', scope: null,
        // Issued an hour ago, expiring in a minute: due now.
        expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: now, params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: now,
      });
      await app.get(DataSource).getRepository(ConnectorEntity).insert(connector);
      await app.get(RefreshProducer).schedule(connector, 'created');
      const done = await waitFor('Rate_Limited', (c) => c.tokenVersion >= 2);
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
    await queue.remove(RefreshProducer.jobId(created.id, 1));
    expect(await queue.getJob(RefreshProducer.jobId(created.id, 1))).toBeUndefined();
    const healed = await app.get(RefreshSweep).run();
    expect(healed.recreated).toBeGreaterThanOrEqual(1);
    expect(await queue.getJob(RefreshProducer.jobId(created.id, 1))).toBeDefined();
  });
});
