import { randomUUID } from 'node:crypto';
import { ConnectorEntity, type ConnectorStatus, nowIso, ProviderEntity } from '@flow-oauth/persistence';
import { LogCapture, parsePrometheusText, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

/**
 * config-loader's /metrics: public Prometheus text with HTTP latency by route pattern, and the
 * connectors by type and status and providers by type, counted by the database at scrape time.
 */
describe.each(TEST_DATABASE_KINDS)('config-loader /metrics on %s', (kind) => {
  let loader: RunningConfigLoader;
  const SECRET = 'metrics-client-secret-Hq27Xv';

  beforeAll(async () => {
    loader = await startConfigLoader(kind);
  });

  afterAll(async () => {
    await loader?.close();
  });

  async function scrape() {
    const res = await fetch(`${loader.url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return { text, m: parsePrometheusText(text) };
  }

  async function insertConnector(providerName: string, status: ConnectorStatus): Promise<void> {
    const provider = await loader.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: providerName });
    const now = nowIso();
    await loader.dataSource.getRepository(ConnectorEntity).insert({
      id: randomUUID(),
      label: `Metrics_${randomUUID().slice(0, 8)}`,
      providerId: provider.id,
      type: provider.type,
      providerName: provider.name,
      owner: 'alice',
      status,
      accessToken: null,
      refreshToken: null,
      tokenType: 'Bearer',
      scope: null,
      expiresAt: null,
      params: '{}',
      metadata: '{}',
      lastError: null,
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    });
  }

  it('answers without a key, and counts connectors by type and status and providers by type from the database', async () => {
    const empty = await scrape();
    expect(empty.m.types.get('flow_connectors')).toBe('gauge');
    expect(empty.m.find('flow_connectors')).toEqual([]);

    const load = await loader.call('POST', '/api/oauth-configurations', {
      slack: { 'Slack-M1': { CLIENT_ID: 'm1', CLIENT_SECRET: SECRET }, 'Slack-M2': { CLIENT_ID: 'm2', CLIENT_SECRET: SECRET } },
      github: { 'GitHub-M1': { CLIENT_ID: 'g1', CLIENT_SECRET: SECRET } },
    });
    expect(load.status).toBe(200);
    for (const status of ['active', 'active', 'needs_reauth'] as const) await insertConnector('Slack-M1', status);
    await insertConnector('Slack-M2', 'refresh_failed');
    await insertConnector('GitHub-M1', 'active');

    const { m, text } = await scrape();
    expect(m.sum('flow_connectors', { app: 'config-loader', type: 'slack', status: 'active' })).toBe(2);
    expect(m.sum('flow_connectors', { type: 'slack', status: 'needs_reauth' })).toBe(1);
    expect(m.sum('flow_connectors', { type: 'slack', status: 'refresh_failed' })).toBe(1);
    expect(m.sum('flow_connectors', { type: 'github', status: 'active' })).toBe(1);
    expect(m.sum('flow_connectors')).toBe(5);
    expect(m.sum('flow_providers', { type: 'slack' })).toBe(2);
    expect(m.sum('flow_providers', { type: 'github' })).toBe(1);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('Slack-M1');

    // A deleted connector is gone from the next scrape (the gauge is recounted, not accumulated).
    await loader.dataSource.getRepository(ConnectorEntity).delete({ type: 'github' });
    expect((await scrape()).m.find('flow_connectors', { type: 'github' })).toEqual([]);
  });

  it('times requests by route pattern and status, never by the raw URL', async () => {
    expect((await loader.call('DELETE', '/api/oauth-configurations/slack/No-Such-Provider')).status).toBe(404);
    expect((await loader.call('DELETE', '/api/oauth-configurations/slack/Other-Missing')).status).toBe(404);
    expect((await loader.call('GET', '/api/users', undefined, { key: null })).status).toBe(401);
    const { m, text } = await scrape();
    expect(m.sum('flow_http_request_duration_seconds_count', { method: 'DELETE', route: '/api/oauth-configurations/:type/:provider', status_code: '404' })).toBe(2);
    expect(m.sum('flow_http_request_duration_seconds_count', { method: 'GET', route: '/api/users', status_code: '401' })).toBe(1);
    expect(m.sum('flow_http_request_duration_seconds_count', { method: 'POST', route: '/api/oauth-configurations', status_code: '200' })).toBe(1);
    // The buckets are cumulative: +Inf holds them all.
    expect(m.sum('flow_http_request_duration_seconds_bucket', { method: 'DELETE', route: '/api/oauth-configurations/:type/:provider', le: '+Inf' })).toBe(2);
    expect(text).not.toMatch(/No-Such-Provider|Other-Missing/);
  });

  it('still answers when the database is gone, without the figures it cannot read, and says why in the log', async () => {
    const logs = new LogCapture().start();
    try {
      await loader.dataSource.destroy();
      const { m } = await scrape();
      expect(m.find('flow_connectors')).toEqual([]);
      expect(m.find('flow_providers')).toEqual([]);
      expect(m.sum('flow_http_request_duration_seconds_count', { route: '/metrics' })).toBeGreaterThan(0);
    } finally {
      logs.stop();
    }
    expect(logs.text()).toMatch(/connectors not counted for \/metrics/);
  });
});
