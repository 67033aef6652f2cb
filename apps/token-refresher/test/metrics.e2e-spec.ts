import { randomUUID } from 'node:crypto';
import { migrateDatabase, startAppInProcess, startFlowContext } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { OAuthClient } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { ProviderConfigModule, ProviderConfigurationService } from '@flow-oauth/provider-config';
import { ProviderReader } from '@flow-oauth/provider-reader';
import { FlowApp, QueueName } from '@flow-oauth/queue-contracts';
import { bullConnectionOptions } from '@flow-oauth/redis';
import { createTestDatabase, type OidcTestServer, parsePrometheusText, startOidcTestServer, startRecordingServer, testConfig, testRedisPrefix, type TestDatabase } from '@flow-oauth/testing';
import { ConnectorTokenStore, RefreshProducer } from '@flow-oauth/token-refresh';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { TokenRefresherModule } from '../src/app/token-refresher.module';

const REDIRECT = 'http://127.0.0.1:9/Thingworx/Oauths/oauth/return';

/**
 * token-refresher's /metrics after background refreshes against a real authorization server
 * (oidc-provider, 6 s access tokens, rotating refresh tokens): refresh outcomes by kind, their
 * duration and their lag behind the due time, and the depth of the refresh queue.
 */
describe('token-refresher /metrics', () => {
  let db: TestDatabase;
  let config: FlowConfig;
  let oidc: OidcTestServer;
  let app: INestApplication;
  let loader: INestApplicationContext;
  let url: string;
  let queue: Queue;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    config = testConfig({ DATABASE_URL: db.url, FLOW_QUEUE_PREFIX: testRedisPrefix('trm'), FLOW_PUBLIC_URL: 'http://127.0.0.1:9' });
    await migrateDatabase(config);
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'm-client', clientSecret: 'm-secret-5151', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 6,
    });
    app = await startAppInProcess({ name: 'token-refresher', module: TokenRefresherModule.forRoot }, config);
    // config-loader's part: the provider-settings use case (token-refresher has none).
    loader = await startFlowContext(config, { app: FlowApp.ConfigLoader, runMigrations: false, workQueues: true }, [ProviderConfigModule]);
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await loader.get(ProviderConfigurationService).load(
      {
        odata: {
          'OIDC-Metrics': {
            CLIENT_ID: 'm-client',
            CLIENT_SECRET: 'm-secret-5151',
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

  async function metrics() {
    const res = await fetch(`${url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    return parsePrometheusText(text);
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

  it('counts a background refresh by outcome, with its duration and its lag behind the due time, and shows the queue depth', async () => {
    const before = await metrics();
    expect(before.sum('flow_refresh_outcomes_total', { app: 'token-refresher', outcome: 'refreshed' })).toBe(0);
    expect(before.sum('flow_refresh_lag_seconds_count')).toBe(0);

    // Sign in at the real server and store the connector as the return endpoint would.
    const provider = (await app.get(ProviderReader).all()).find((p) => p.name === 'OIDC-Metrics');
    if (!provider) throw new Error('provider not loaded');
    const client = new OAuthClient({ returnUrl: REDIRECT, env: 'production' });
    const built = client.buildAuthorizationUrl(provider, { state: randomUUID(), connectionParams: {} });
    const back = new URL(await oidc.completeAuthorization(built.url));
    const tokens = await client.exchangeCode(provider, { code: back.searchParams.get('code') as string, codeVerifier: built.codeVerifier, connectionParams: {}, scope: built.scope });
    const now = nowIso();
    const id = randomUUID();
    const connector = Object.assign(new ConnectorEntity(), {
      id, label: 'Metrics_1', providerId: provider.id, type: provider.type, providerName: provider.name, owner: 'alice', params: '{}', tokenVersion: 1, createdAt: now, metadata: '{}',
      ...app.get(ConnectorTokenStore).columns(id, { ...tokens, scope: built.scope }, null),
    });
    await app.get(DataSource).getRepository(ConnectorEntity).insert(connector);
    await app.get(RefreshProducer).schedule(connector, 'created');

    const pending = await metrics();
    expect(pending.sum('flow_queue_jobs', { queue: 'token-refresh', state: 'delayed' })).toBeGreaterThanOrEqual(1);

    await waitFor('Metrics_1', (c) => c.tokenVersion >= 2);
    const after = await metrics();
    expect(after.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('flow_refresh_duration_seconds_count', { outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('flow_refresh_duration_seconds_sum', { outcome: 'refreshed' })).toBeGreaterThan(0);
    expect(after.sum('flow_refresh_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.types.get('flow_refresh_lag_seconds')).toBe('histogram');
    // Every state of the refresh queue is reported; the done job and the next one are in it.
    expect(after.find('flow_queue_jobs', { queue: 'token-refresh' }).map((s) => s.labels['state']).sort()).toEqual(['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting']);
    expect(after.sum('flow_queue_jobs', { queue: 'token-refresh', state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('flow_queue_jobs', { queue: 'token-refresh', state: 'delayed' })).toBeGreaterThanOrEqual(1);
  });

  it('counts a provider that says "later" (429) as provider_error, then the refresh that lands (provider mocked: oidc-provider does not rate-limit)', async () => {
    const provider = await startRecordingServer();
    let calls = 0;
    provider.respond(() => {
      calls += 1;
      return calls === 1
        ? { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow_down' } }
        : { body: { access_token: 'at-after-429', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-after-429' } };
    });
    try {
      const before = await metrics();
      await loader.get(ProviderConfigurationService).load(
        { odata: { 'Rate-Limited-M': { CLIENT_ID: 'rl', CLIENT_SECRET: 'rl-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } },
        { dryRun: false },
      );
      const rl = (await app.get(ProviderReader).all()).find((p) => p.name === 'Rate-Limited-M');
      const now = nowIso();
      const id = randomUUID();
      const connector = Object.assign(new ConnectorEntity(), {
        id, label: 'Metrics_429', providerId: rl?.id, type: 'odata', providerName: 'Rate-Limited-M', owner: 'alice', status: 'active',
        ...app.get(ConnectorTokenStore).columns(id, { accessToken: 'at-old', refreshToken: 'rt-old', tokenType: 'Bearer', expiresAt: null, metadata: {} }, null), tokenType: 'Bearer', scope: null,
        expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: new Date(Date.now() - 1000).toISOString(), params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: new Date(Date.now() - 3600_000).toISOString(),
      });
      await app.get(DataSource).getRepository(ConnectorEntity).insert(connector);
      await app.get(RefreshProducer).schedule(connector, 'created');
      await waitFor('Metrics_429', (c) => c.tokenVersion >= 2);
      const after = await metrics();
      expect(after.sum('flow_refresh_outcomes_total', { outcome: 'provider_error' }) - before.sum('flow_refresh_outcomes_total', { outcome: 'provider_error' })).toBe(1);
      expect(after.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' }) - before.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
      expect(after.sum('flow_refresh_duration_seconds_count', { outcome: 'provider_error' })).toBeGreaterThanOrEqual(1);
      expect(provider.requests).toHaveLength(2);
    } finally {
      await provider.stop();
    }
  });
});
