import { randomUUID } from 'node:crypto';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { type OidcTestServer, parsePrometheusText, startOidcTestServer, startRecordingServer } from '@flow-oauth/testing';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import type { INestApplication } from '@nestjs/common';
import { oidcProvider, REDIRECT, type RefresherRig, startRig, waitFor } from './refresher-rig';

/**
 * token-refresher's /metrics after background refreshes against a real authorization server
 * (oidc-provider, 6 s access tokens, rotating refresh tokens): refresh outcomes by kind, their
 * duration and their lag behind the due time, the refreshes in flight, and the depth of the work queue.
 */
describe('token-refresher /metrics', () => {
  let rig: RefresherRig;
  let oidc: OidcTestServer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    rig = await startRig('sqlite');
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'm-client', clientSecret: 'm-secret-5151', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 6,
    });
    app = await rig.startRefresher();
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await rig.load({ odata: { 'OIDC-Metrics': oidcProvider(oidc, 'm-client', 'm-secret-5151') } });
  });

  afterAll(async () => {
    await rig?.close();
    await oidc?.stop();
  });

  async function metrics() {
    const res = await fetch(`${url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    return parsePrometheusText(text);
  }

  it('counts a background refresh by outcome, with its duration and its lag behind the due time, and shows the refreshes in flight and the queue depth', async () => {
    const before = await metrics();
    expect(before.sum('flow_refresh_outcomes_total', { app: 'token-refresher', outcome: 'refreshed' })).toBe(0);
    expect(before.sum('flow_refresh_lag_seconds_count')).toBe(0);

    // Sign in at the real server and store the connector as the return endpoint would.
    await rig.signIn(oidc, 'OIDC-Metrics', 'Metrics_1');

    await rig.untilConnector('Metrics_1', (c) => c.tokenVersion >= 2);
    // The tokens are written before the loop counts the outcome: scrape until it is counted.
    const after = await waitFor('the refresh counted', async () => {
      const scraped = await metrics();
      return scraped.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' }) >= 1 ? scraped : undefined;
    });
    expect(after.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('flow_refresh_duration_seconds_count', { outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
    expect(after.sum('flow_refresh_duration_seconds_sum', { outcome: 'refreshed' })).toBeGreaterThan(0);
    expect(after.sum('flow_refresh_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.types.get('flow_refresh_lag_seconds')).toBe('histogram');
    // The refreshes running now (none once it is done), and every state of the webhook work queue.
    expect(after.types.get('flow_refresh_in_flight')).toBe('gauge');
    expect(after.find('flow_refresh_in_flight', {})).toHaveLength(1);
    // The backlog: nothing due and not started once it is done.
    expect(after.find('flow_refresh_due_connectors', {})).toHaveLength(1);
    expect(after.sum('flow_refresh_due_connectors')).toBe(0);
    expect(after.find('flow_refresh_oldest_due_seconds', {})).toHaveLength(1);
    expect(after.find('flow_queue_jobs', { queue: 'webhook-delivery' }).map((s) => s.labels['state']).sort()).toEqual(['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting']);
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
      await rig.load({ odata: { 'Rate-Limited-M': { CLIENT_ID: 'rl', CLIENT_SECRET: 'rl-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } });
      const rl = (await rig.providers.all()).find((p) => p.name === 'Rate-Limited-M');
      const now = nowIso();
      const id = randomUUID();
      const connector = Object.assign(new ConnectorEntity(), {
        id, label: 'Metrics_429', providerId: rl?.id, type: 'odata', providerName: 'Rate-Limited-M', owner: 'alice', status: 'active',
        ...app.get(ConnectorTokenStore).columns(id, { accessToken: 'at-old', refreshToken: 'rt-old', tokenType: 'Bearer', expiresAt: null, metadata: {} }, null), tokenType: 'Bearer', scope: null,
        expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: new Date(Date.now() - 1000).toISOString(), params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: new Date(Date.now() - 3600_000).toISOString(),
      });
      await rig.dataSource.getRepository(ConnectorEntity).insert(connector);
      await rig.untilConnector('Metrics_429', (c) => c.tokenVersion >= 2);
      const after = await metrics();
      expect(after.sum('flow_refresh_outcomes_total', { outcome: 'provider_error' }) - before.sum('flow_refresh_outcomes_total', { outcome: 'provider_error' })).toBe(1);
      expect(after.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' }) - before.sum('flow_refresh_outcomes_total', { outcome: 'refreshed' })).toBeGreaterThanOrEqual(1);
      expect(after.sum('flow_refresh_duration_seconds_count', { outcome: 'provider_error' })).toBeGreaterThanOrEqual(1);
      expect(provider.requests).toHaveLength(2);
    } finally {
      await provider.stop();
    }
  });

  it('shows the backlog while every refresh slot is taken: the due connectors nobody started, and how long the oldest has waited (provider mocked: it holds its answers)', async () => {
    const provider = await startRecordingServer();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let n = 0;
    provider.respond(async () => {
      await released;
      n += 1;
      return { body: { access_token: `at-backlog-${n}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-backlog-${n}` } };
    });
    try {
      await rig.load({ odata: { 'Backlog-M': { CLIENT_ID: 'bl', CLIENT_SECRET: 'bl-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } });
      const bl = (await rig.providers.all()).find((p) => p.name === 'Backlog-M');
      const extra = 5;
      const dueAt = Date.now() - 30_000;
      for (let i = 0; i < rig.config.refreshConcurrency + extra; i++) {
        const now = nowIso();
        const id = randomUUID();
        await rig.dataSource.getRepository(ConnectorEntity).insert(
          Object.assign(new ConnectorEntity(), {
            id, label: `Metrics_Backlog_${i}`, providerId: bl?.id, type: 'odata', providerName: 'Backlog-M', owner: 'alice', status: 'active',
            ...app.get(ConnectorTokenStore).columns(id, { accessToken: 'at-old', refreshToken: 'rt-old', tokenType: 'Bearer', expiresAt: null, metadata: {} }, null), tokenType: 'Bearer', scope: null,
            expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: new Date(dueAt).toISOString(), params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: now,
          }),
        );
      }
      // Every slot waits on the provider; the rest are due and not started.
      const busy = await waitFor('the slots filled', async () => {
        const scraped = await metrics();
        return scraped.sum('flow_refresh_in_flight') === rig.config.refreshConcurrency ? scraped : undefined;
      }, 15_000, 100);
      expect(busy.sum('flow_refresh_due_connectors')).toBe(extra);
      expect(busy.sum('flow_refresh_oldest_due_seconds')).toBeGreaterThanOrEqual(30);
      release();
      const drained = await waitFor('the backlog drained', async () => {
        const scraped = await metrics();
        return scraped.sum('flow_refresh_due_connectors') === 0 && scraped.sum('flow_refresh_in_flight') === 0 ? scraped : undefined;
      }, 20_000, 100);
      expect(drained.sum('flow_refresh_oldest_due_seconds')).toBe(0);
    } finally {
      release();
      await provider.stop();
    }
  });
});
