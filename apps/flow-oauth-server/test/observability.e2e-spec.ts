import { ConnectorEntity } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { HttpSession, LogCapture, type OidcTestServer, openStartLink, parsePrometheusText, startOidcTestServer } from '@flow-oauth/testing';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * What an operator sees of flow-oauth-server: its JSON access log (one line per request: method,
 * route pattern, path without query, status, duration, request id; never a key, a code, a state or
 * a token) and its /metrics (HTTP latency by route pattern; refresh metrics registered). Against a
 * real OAuth server (oidc-provider), so the return URL carries a real code and state.
 */
describe('flow-oauth-server access log and /metrics', () => {
  const logs = new LogCapture();
  const CLIENT_SECRET = 'obs-client-secret-Zq81Lm2';
  let oidc: OidcTestServer;
  let flow: RunningFlowServer;
  let userKey: string;
  const seen: { code: string; state: string; accessToken: string; connectorId: string } = { code: '', state: '', accessToken: '', connectorId: '' };

  beforeAll(async () => {
    // Capture from before the app starts: start-up lines are logged too.
    logs.start();
    flow = await startFlowServer('sqlite');
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'obs-client', clientSecret: CLIENT_SECRET, redirectUris: [flow.config.returnUrl], tokenEndpointAuthMethod: 'client_secret_basic', rotateRefreshToken: true }],
    });
    await flow.loadProviders({
      odata: {
        'OIDC-Obs': {
          CLIENT_ID: 'obs-client',
          CLIENT_SECRET,
          oauth2_auth_url: oidc.authorizationEndpoint,
          oauth2_token_url: oidc.tokenEndpoint,
          oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}'],
        },
      },
    });
    userKey = await flow.createUser('olivia');

    // One sign-in round: the return URL carries the code and the state in its query.
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Obs', label: 'Observed_1' }, userKey);
    expect(start.status).toBe(201);
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    const back = new URL(await oidc.completeAuthorization(providerUrl));
    seen.code = back.searchParams.get('code') ?? '';
    seen.state = back.searchParams.get('state') ?? '';
    expect(seen.code.length).toBeGreaterThan(10);
    expect(seen.state.length).toBeGreaterThan(10);
    const page = await browser.request('GET', back.toString());
    expect(page.status).toBe(200);
    const connector = await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'Observed_1' });
    seen.connectorId = connector.id;
    // Token requests with the service key (Bearer) and the owner's key (appKey header).
    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(token.status).toBe(200);
    seen.accessToken = token.json.access_token;
    const ownerToken = await fetch(`${flow.url}/api/connectors/${connector.id}/token?debug=${seen.state}`, { headers: { appKey: userKey } });
    expect(ownerToken.status).toBe(200);
    await ownerToken.text();
  });

  afterAll(async () => {
    logs.stop();
    await flow?.close();
    await oidc?.stop();
  });

  /** Every JSON line the process logged so far. */
  function jsonLines(): Array<Record<string, unknown>> {
    return logs
      .text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  const accessLines = () => jsonLines().filter((l) => typeof l['route'] === 'string' && typeof l['statusCode'] === 'number');

  it('logs every request as one JSON line: method, route pattern, path without query, status, duration, request id', () => {
    const lines = accessLines();
    const returned = lines.find((l) => l['route'] === '/Thingworx/Oauths/oauth/return');
    expect(returned).toMatchObject({ level: 'info', app: 'flow-oauth-server', method: 'GET', path: '/Thingworx/Oauths/oauth/return', statusCode: 200, msg: 'GET /Thingworx/Oauths/oauth/return 200' });
    const tokens = lines.filter((l) => l['route'] === '/api/connectors/:id/token');
    expect(tokens).toHaveLength(2);
    for (const line of [returned, ...tokens] as Array<Record<string, unknown>>) {
      expect(line['reqId']).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof line['responseTime']).toBe('number');
      expect(Date.parse(line['time'] as string)).not.toBeNaN();
      expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['req', 'res', 'headers']));
    }
    expect(tokens[0]).toMatchObject({ method: 'GET', path: `/api/connectors/${seen.connectorId}/token`, statusCode: 200 });
    // Request ids are per request.
    expect(new Set(lines.map((l) => l['reqId'])).size).toBe(lines.length);
  });

  it('no key, code, state, token or client secret appears anywhere in the log, access log included', async () => {
    const rows = await flow.dataSource.getRepository(ConnectorEntity).find();
    const store = new ConnectorTokenStore(new SecretBox(flow.config.encryptionKey), { refreshMarginSeconds: 300 });
    const stored = rows.flatMap((r) => Object.values(store.open(r)).filter((t): t is string => !!t));
    expect(stored.length).toBe(2);
    const text = logs.text();
    expect(accessLines().length).toBeGreaterThanOrEqual(4);
    for (const secret of [seen.code, seen.state, seen.accessToken, ...stored, userKey, flow.config.serviceKey, flow.config.adminKey, CLIENT_SECRET]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/code=|state=|[?&]debug=/);
  });

  it("keeps a caller's sane X-Request-Id, replaces an unfit one, and sends the id back", async () => {
    const kept = await fetch(`${flow.url}/api/providers`, { headers: { appKey: userKey, 'X-Request-Id': 'wf-run-42.step-7' } });
    await kept.text();
    expect(kept.headers.get('x-request-id')).toBe('wf-run-42.step-7');
    const replaced = await fetch(`${flow.url}/api/providers`, { headers: { appKey: userKey, 'X-Request-Id': userKey } });
    await replaced.text();
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const ids = accessLines().filter((l) => l['route'] === '/api/providers').map((l) => l['reqId']);
    expect(ids).toEqual(['wf-run-42.step-7', replaced.headers.get('x-request-id')]);
  });

  it('does not log /health and /metrics scrapes at info', async () => {
    for (const path of ['/health', '/metrics']) {
      const res = await fetch(`${flow.url}${path}`);
      await res.text();
      expect(res.status).toBe(200);
    }
    expect(accessLines().filter((l) => l['route'] === '/health' || l['route'] === '/metrics')).toEqual([]);
  });

  it('GET /metrics (no key) answers Prometheus text: HTTP latency by route pattern, never a raw URL; refresh metrics registered', async () => {
    const missing = await fetch(`${flow.url}/api/connectors/00000000-0000-4000-8000-000000000000?state=x`, { headers: { appKey: userKey } });
    await missing.text();
    expect(missing.status).toBe(404);
    const nowhere = await fetch(`${flow.url}/no/such/route/${seen.connectorId}`);
    await nowhere.text();
    const res = await fetch(`${flow.url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parsePrometheusText(text);
    expect(m.types.get('flow_http_request_duration_seconds')).toBe('histogram');
    const http = (labels: Record<string, string>) => m.sum('flow_http_request_duration_seconds_count', labels);
    expect(http({ method: 'GET', route: '/api/connectors/:id/token', status_code: '200' })).toBe(2);
    expect(http({ method: 'GET', route: '/Thingworx/Oauths/oauth/return', status_code: '200' })).toBe(1);
    expect(http({ method: 'POST', route: '/api/connectors/authorizations', status_code: '201' })).toBe(1);
    expect(http({ method: 'GET', route: '/api/connectors/:id', status_code: '404' })).toBe(1);
    expect(http({ method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    const labelValues = m.samples.flatMap((sample) => Object.values(sample.labels));
    for (const value of labelValues) {
      for (const raw of [seen.connectorId, seen.code, seen.state, '?', '/no/such']) expect(value).not.toContain(raw);
    }
    // The token API's refreshes are counted here once the refresh pipeline reports them.
    expect(m.find('flow_refresh_outcomes_total', { outcome: 'refreshed', app: 'flow-oauth-server' })).toHaveLength(1);
    expect(m.types.get('flow_refresh_lag_seconds')).toBe('histogram');
    // Node's default process metrics, under their standard names.
    expect(m.sum('process_cpu_user_seconds_total', { app: 'flow-oauth-server' })).toBeGreaterThan(0);
    expect(m.sum('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });
});
