import { randomBytes } from 'node:crypto';
import { RETURN_PATH } from '@flow-oauth/config';
import { type OidcTestServer, startOidcTestServer } from '@flow-oauth/testing';
import { type Deployment, startDeployment, waitFor } from './deployment';
import { type ConnectorAnswer, oidcProvider, signIn, startExpiryStripper } from './sign-in';
import { readmeSignatureCheck, type ReceivedWebhook, WebhookReceiver } from './webhook-receiver';

// The three built apps as separate processes against real oidc-provider servers and a webhook
// receiver (node:http) that checks every signature with the README's code. Short timings come from
// configuration: retries every 1-2 s, a health scan every second, checks every 4 s, warnings 30 s ahead.

const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString('hex')}`;
const WARNING_SECONDS = 30;
const LAPSE_SECONDS = 45;
const secret = (name: string) => `${name}-secret-${randomBytes(8).toString('hex')}`;
const SECRETS = { hooks: secret('hooks'), watch: secret('watch'), lapse: secret('lapse'), silent: secret('silent'), reject: secret('reject') };

jest.setTimeout(180_000);

describe('connector health and webhooks (the three processes, real OAuth servers, a webhook receiver)', () => {
  const verify = readmeSignatureCheck();
  const receiver = new WebhookReceiver(WEBHOOK_SECRET, verify);
  /** Access tokens live 8 s: refreshed every ~4 s in the background. */
  let shortLived: OidcTestServer;
  /** Access tokens live an hour: no refresh comes due during the test. */
  let longLived: OidcTestServer;
  /** Refresh tokens live 45 s, and the server says so (refresh_token_expires_in). */
  let lapsing: OidcTestServer;
  let stripper: Awaited<ReturnType<typeof startExpiryStripper>>;
  let d: Deployment;
  let aliceKey: string;
  /** Every secret and token the test saw, to look for where none may be. */
  const seen = new Set<string>([WEBHOOK_SECRET, ...Object.values(SECRETS)]);

  const remember = async (connectorId: string) => {
    const tokens = await d.tokensOf(connectorId);
    for (const value of [tokens.accessToken, tokens.refreshToken]) if (value) seen.add(value);
    return tokens;
  };
  const connector = async (id: string): Promise<ConnectorAnswer> => (await d.call('flow-oauth-server', 'GET', `/api/connectors/${id}`, { key: aliceKey })).json;
  const eventsOf = (id: string) => receiver.of(id).map((r) => r.body.event as string);

  beforeAll(async () => {
    await receiver.up();
    d = await startDeployment('sqlite', {
      FLOW_WEBHOOK_URL: receiver.url,
      FLOW_WEBHOOK_SECRET: WEBHOOK_SECRET,
      FLOW_WEBHOOK_RETRY_SECONDS: '1',
      FLOW_WEBHOOK_RETRY_MAX_SECONDS: '2',
      FLOW_HEALTH_SCAN_SECONDS: '1',
      FLOW_HEALTH_CHECK_INTERVAL_SECONDS: '4',
      FLOW_REAUTH_WARNING_SECONDS: String(WARNING_SECONDS),
      REFRESH_SWEEP_SECONDS: '2',
    });
    for (const key of [d.adminKey, d.serviceKey, d.encryptionKey]) seen.add(key);
    const redirectUris = [`${d.urls['flow-oauth-server']}${RETURN_PATH}`];
    const client = (clientId: string, clientSecret: string, extra = {}) => ({ clientId, clientSecret, redirectUris, tokenEndpointAuthMethod: 'client_secret_post' as const, ...extra });
    [shortLived, longLived, lapsing] = await Promise.all([
      startOidcTestServer({ clients: [client('hooks-client', SECRETS.hooks), client('reject-client', SECRETS.reject)], accessTokenTtlSeconds: 8 }),
      startOidcTestServer({ clients: [client('watch-client', SECRETS.watch), client('silent-client', SECRETS.silent)], accessTokenTtlSeconds: 3600 }),
      startOidcTestServer({ clients: [client('lapse-client', SECRETS.lapse, { rotateRefreshToken: false })], accessTokenTtlSeconds: 3600, refreshTokenTtlSeconds: LAPSE_SECONDS, refreshTokenExpiresIn: true }),
    ]);
    stripper = await startExpiryStripper(longLived.tokenEndpoint);
    const load = await d.call('config-loader', 'POST', '/api/oauth-configurations', {
      body: {
        odata: {
          Hooks: oidcProvider(shortLived, 'hooks-client', SECRETS.hooks),
          Watch: oidcProvider(longLived, 'watch-client', SECRETS.watch),
          Lapse: oidcProvider(lapsing, 'lapse-client', SECRETS.lapse),
          Silent: oidcProvider(longLived, 'silent-client', SECRETS.silent, stripper.url),
          Rejecting: oidcProvider(shortLived, 'reject-client', SECRETS.reject),
        },
      },
    });
    expect(load.status).toBe(200);
    const user = await d.call('config-loader', 'POST', '/api/users', { body: { name: 'alice' } });
    aliceKey = user.json.key;
    seen.add(aliceKey);
    // flow-oauth-server hears providers.changed; a sign-in before it reloaded would be refused.
    await waitFor('flow-oauth-server to serve the new providers', async () => {
      const list = await d.call('flow-oauth-server', 'GET', '/api/providers', { key: aliceKey });
      return Array.isArray(list.json) && list.json.length === 5;
    });
  });

  // A test that failed while the receiver was down must not take the next ones with it.
  beforeEach(() => receiver.up());

  afterAll(async () => {
    await d?.stop();
    await Promise.all([shortLived?.stop(), longLived?.stop(), lapsing?.stop(), stripper?.stop(), receiver.down()]);
  });

  it('sends created, recovered (after refresh_failed), needs_reauth and deleted of a connector once each, signed, in order; a receiver down for 30 s loses none', async () => {
    const c = await signIn(d, shortLived, aliceKey, 'Hooks', 'Hooks_1');
    await remember(c.id);
    const created = await waitFor('connector.created', () => receiver.of(c.id)[0]);
    expect(created).toMatchObject({ event: 'connector.created', delivery: created.body.id, verified: true });
    expect(created.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(created.body).toEqual({
      id: created.delivery,
      event: 'connector.created',
      occurredAt: expect.any(String),
      sequence: 1,
      connector: { id: c.id, label: 'Hooks_1', type: 'odata', provider: 'Hooks', owner: 'alice', status: 'active' },
      data: { actor: 'user:alice' },
    });

    await receiver.down();
    const downAt = Date.now();
    // What token-refresher does once a refresh's retries ran out (about an hour of them): refresh_failed.
    await d.dataSource.query("UPDATE connectors SET status = 'refresh_failed', last_error = 'the provider kept failing' WHERE id = ?", [c.id]);
    // The next background refresh (its token lives 8 s) works again.
    await waitFor('the connector to recover', async () => (await connector(c.id)).status === 'active' && (await connector(c.id)).lastError === null, 20_000);
    await remember(c.id);
    // The user removes Flow's access at the provider: the grant and all its tokens are revoked.
    await shortLived.revoke((await remember(c.id)).refreshToken as string);
    await waitFor('the connector to need re-authorization', async () => (await connector(c.id)).status === 'needs_reauth', 20_000);
    await waitFor('connector.needs_reauth in the outbox', async () => {
      const pending = await d.call('config-loader', 'GET', `/api/webhooks/deliveries?connector=${c.id}`);
      return pending.json.some((row: { event: string }) => row.event === 'connector.needs_reauth');
    });
    expect((await d.call('flow-oauth-server', 'DELETE', `/api/connectors/${c.id}`, { key: aliceKey })).status).toBe(204);

    // While the receiver is down the deliveries wait, in order, the oldest being retried.
    const waiting = (await d.call('config-loader', 'GET', `/api/webhooks/deliveries?connector=${c.id}`)).json as Array<Record<string, unknown>>;
    expect(waiting.map((w) => [w['sequence'], w['event'], w['status']])).toEqual([
      [4, 'connector.deleted', 'pending'],
      [3, 'connector.needs_reauth', 'pending'],
      [2, 'connector.recovered', 'pending'],
      [1, 'connector.created', 'delivered'],
    ]);
    await waitFor('a failed attempt of connector.recovered', async () => {
      const rows = (await d.call('config-loader', 'GET', `/api/webhooks/deliveries?connector=${c.id}&status=pending`)).json as Array<{ sequence: number; attempts: number; lastError: string }>;
      return rows.find((w) => w.sequence === 2 && w.attempts > 0 && w.lastError === 'network error (ECONNREFUSED)');
    });
    expect(receiver.of(c.id)).toHaveLength(1);

    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - downAt))));
    await receiver.up();
    const all = await waitFor('all four events', () => (receiver.of(c.id).length >= 4 ? receiver.of(c.id) : undefined), 30_000);
    // Give a duplicate the time to show up: every retry waits at most 2 s.
    await new Promise((r) => setTimeout(r, 3000));
    expect(receiver.of(c.id)).toHaveLength(4);
    expect(all.map((r) => [r.body.sequence, r.event, r.body.event, r.verified, r.delivery === r.body.id])).toEqual([
      [1, 'connector.created', 'connector.created', true, true],
      [2, 'connector.recovered', 'connector.recovered', true, true],
      [3, 'connector.needs_reauth', 'connector.needs_reauth', true, true],
      [4, 'connector.deleted', 'connector.deleted', true, true],
    ]);
    expect(new Set(all.map((r) => r.delivery)).size).toBe(4);
    expect(all[1].body.data).toEqual({ previousStatus: 'refresh_failed', actor: 'system' });
    expect(all[2].body.data).toEqual({ reason: 'invalid_grant', actor: 'system' });
    expect(all[2].body.connector.status).toBe('needs_reauth');
    expect(all[3].body.data).toEqual({ revoked: expect.any(Boolean), actor: 'user:alice' });
    const after = (await d.call('config-loader', 'GET', `/api/webhooks/deliveries?connector=${c.id}`)).json as Array<{ status: string; attempts: number; sequence: number }>;
    expect(after.every((w) => w.status === 'delivered')).toBe(true);
    expect(after.find((w) => w.sequence === 2)?.attempts).toBeGreaterThan(1);
  });

  it('the documented check detects a tampered body or signature', () => {
    const sample: ReceivedWebhook = receiver.received[0];
    expect(verify(sample.raw, sample.signature, WEBHOOK_SECRET)).toBe(true);
    const tampered = Buffer.from(sample.raw);
    tampered[tampered.indexOf('"sequence":') + 11] ^= 1;
    expect(verify(tampered, sample.signature, WEBHOOK_SECRET)).toBe(false);
    expect(verify(sample.raw.toString('utf8').replace('alice', 'mallory'), sample.signature, WEBHOOK_SECRET)).toBe(false);
    expect(verify(sample.raw, sample.signature, `${WEBHOOK_SECRET}x`)).toBe(false);
    expect(verify(sample.raw, `${(sample.signature as string).slice(0, -2)}00`, WEBHOOK_SECRET)).toBe(false);
    expect(verify(sample.raw, undefined, WEBHOOK_SECRET)).toBe(false);
  });

  it('a grant revoked at the provider while its access token is unexpired: the scheduled check marks it needs_reauth and sends the event before any workflow asks for the token', async () => {
    const w = await signIn(d, longLived, aliceKey, 'Watch', 'Watched_1');
    const tokens = await remember(w.id);
    const first = await waitFor('the first health check', async () => ((await connector(w.id)).health === 'ok' ? connector(w.id) : undefined));
    expect(first).toMatchObject({ status: 'active', expiry: 'valid', health: 'ok', healthDetail: expect.stringContaining('accepted the access token') });
    // The schedule goes on (every 4 s here).
    await waitFor('a scheduled check', async () => (await connector(w.id)).lastCheckedAt !== first.lastCheckedAt);

    await longLived.revoke(tokens.refreshToken as string);
    const marked = await waitFor('the check to find the revoked grant', async () => {
      const now = await connector(w.id);
      return now.status === 'needs_reauth' && now.health === 'refused' ? now : undefined;
    }, 20_000);
    expect(marked).toMatchObject({ status: 'needs_reauth', lastError: 'invalid_grant', health: 'refused' });
    expect(marked.healthDetail).toMatch(/refused the access token .*401.*; the refresh token was refused too \(invalid_grant\)/);
    // Unexpired: the access token has an hour to live; no refresh was due.
    expect(Date.parse(first.expiresAt)).toBeGreaterThan(Date.now() + 3_000_000);
    const event = await waitFor('connector.needs_reauth', () => receiver.of(w.id).find((r) => r.event === 'connector.needs_reauth'));
    expect(event.body.data).toEqual({ reason: 'invalid_grant', actor: 'system' });
    expect(event.verified).toBe(true);
    // Nobody asked for the token: no request reached the token API, and the only refresh was the check's.
    expect(d.output.filter((line) => line.includes('"route":"/api/connectors/:id/token"'))).toEqual([]);
    expect(d.output.filter((line) => line.includes('"route":"/api/connectors/:id"')).length).toBeGreaterThan(0);
    const refreshes = (await longLived.tokenRequests()).filter((r) => r.grantType === 'refresh_token' && r.clientId === 'watch-client');
    expect(refreshes.map((r) => r.error)).toEqual(['invalid_grant']);
    // The workflow that asks now learns it at once.
    const answer = await d.call('flow-oauth-server', 'GET', `/api/connectors/${w.id}/token`, { key: d.serviceKey });
    expect([answer.status, answer.json.error]).toEqual([409, 'needs_reauth']);
  });

  it('a refresh token with a short life: reauthDueAt is what the provider said, and connector.reauth_due comes at the configured time, once', async () => {
    const before = Date.now();
    const l = await signIn(d, lapsing, aliceKey, 'Lapse', 'Lapsing_1');
    const after = Date.now();
    await remember(l.id);
    const due = Date.parse(l.reauthDueAt);
    expect(l.reauthDueBasis).toBe('provider');
    expect(due).toBeGreaterThanOrEqual(before + LAPSE_SECONDS * 1000 - 1000);
    expect(due).toBeLessThanOrEqual(after + LAPSE_SECONDS * 1000);
    const warnAt = due - WARNING_SECONDS * 1000;
    // Not before its time (checked only while that is still ahead).
    if (Date.now() < warnAt - 1500) {
      await new Promise((r) => setTimeout(r, 1500));
      if (Date.now() < warnAt - 200) expect(eventsOf(l.id)).not.toContain('connector.reauth_due');
    }
    const warning = await waitFor('connector.reauth_due', () => receiver.of(l.id).find((r) => r.event === 'connector.reauth_due'), 40_000);
    expect(warning.verified).toBe(true);
    expect(warning.body.data).toEqual({ reauthDueAt: l.reauthDueAt, basis: 'provider', actor: 'system' });
    expect(Date.parse(warning.body.occurredAt)).toBeGreaterThanOrEqual(warnAt);
    // Once per grant, whatever the number of scans since (one a second).
    await new Promise((r) => setTimeout(r, 4000));
    expect(eventsOf(l.id).filter((e) => e === 'connector.reauth_due')).toHaveLength(1);
    const audit = await d.call('config-loader', 'GET', `/api/audit?subject=connector:${l.id}&type=connector.reauth_due`);
    expect(audit.json).toHaveLength(1);
  });

  it('a token without an expiry shows "expiry unknown", and the health check is what tells it works, then that it stopped', async () => {
    const s = await signIn(d, longLived, aliceKey, 'Silent', 'Silent_1');
    const tokens = await remember(s.id);
    expect(s).toMatchObject({ expiresAt: null, expiry: 'unknown', nextRefreshAt: null });
    const checked = await waitFor('the first health check', async () => ((await connector(s.id)).health === 'ok' ? connector(s.id) : undefined));
    expect(checked).toMatchObject({ status: 'active', expiry: 'unknown', health: 'ok' });
    await longLived.revoke(tokens.refreshToken as string, { clientId: 'silent-client', clientSecret: SECRETS.silent });
    const marked = await waitFor('the check to find the revoked grant', async () => {
      const now = await connector(s.id);
      return now.status === 'needs_reauth' && now.health === 'refused' ? now : undefined;
    }, 20_000);
    expect(marked).toMatchObject({ health: 'refused', lastError: 'invalid_grant' });
    await waitFor('connector.needs_reauth', () => receiver.of(s.id).find((r) => r.event === 'connector.needs_reauth'));
  });

  it("sends provider.credentials_rejected when a provider refuses Flow's credentials and provider.credentials_restored when a load fixes them, in order", async () => {
    const r = await signIn(d, shortLived, aliceKey, 'Rejecting', 'Rejecting_1');
    await remember(r.id);
    const providerEvents = () => receiver.received.filter((x) => x.body?.provider?.provider === 'Rejecting');
    // A mistyped rotated secret (secret-only changes are allowed for an in-use provider).
    const wrong = secret('mistyped');
    seen.add(wrong);
    expect((await d.call('config-loader', 'POST', '/api/oauth-configurations', { body: { odata: { Rejecting: oidcProvider(shortLived, 'reject-client', wrong) } } })).status).toBe(200);
    await waitFor('provider.credentials_rejected', () => providerEvents().find((x) => x.event === 'provider.credentials_rejected'), 20_000);
    expect((await d.call('config-loader', 'POST', '/api/oauth-configurations', { body: { odata: { Rejecting: oidcProvider(shortLived, 'reject-client', SECRETS.reject) } } })).status).toBe(200);
    await waitFor('provider.credentials_restored', () => providerEvents().find((x) => x.event === 'provider.credentials_restored'), 20_000);
    expect(providerEvents().map((x) => [x.body.sequence, x.event, x.verified, x.body.provider.state])).toEqual([
      [1, 'provider.credentials_rejected', true, 'credentials_rejected'],
      [2, 'provider.credentials_restored', true, 'ok'],
    ]);
    expect(providerEvents()[0].body.data).toEqual({ error: 'invalid_client', actor: 'system' });
    expect(providerEvents()[1].body.data).toEqual({ actor: 'admin' });
    await d.call('flow-oauth-server', 'DELETE', `/api/connectors/${r.id}`, { key: aliceKey });
  });

  it('no token, key or secret appears in any webhook, delivery record, audit entry or log line', async () => {
    const deliveries = await d.call('config-loader', 'GET', '/api/webhooks/deliveries?limit=1000');
    const audit = await d.call('config-loader', 'GET', '/api/audit');
    expect(deliveries.json.length).toBeGreaterThan(10);
    const places: Record<string, string> = {
      webhooks: receiver.received.map((r) => r.raw.toString('utf8')).join('\n'),
      deliveries: deliveries.text,
      audit: audit.text,
      logs: d.output.join('\n'),
    };
    const found = Object.entries(places).flatMap(([place, text]) => [...seen].filter((value) => text.includes(value)).map((value) => `${place}: ${value.slice(0, 12)}...`));
    expect(found).toEqual([]);
    expect(seen.size).toBeGreaterThan(15);
  });
});
