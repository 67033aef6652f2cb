import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { RETURN_PATH } from '@flow-oauth/config';
import { type OidcTestServer, startOidcTestServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type Deployment, startDeployment, waitFor } from './deployment';
import { oidcProvider, signIn } from './sign-in';
import { readmeSignatureCheck, WebhookReceiver } from './webhook-receiver';

// A scripted session against the three built apps, then the audit trail it left: exactly the
// expected entries, in order, with who did it, and no secret anywhere in it.

const CLI = path.resolve(__dirname, '..', 'flow-oauth-cli.js');

jest.setTimeout(180_000);

describe.each(TEST_DATABASE_KINDS)('audit trail of a scripted session on %s', (kind) => {
  const webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
  const receiver = new WebhookReceiver(webhookSecret, readmeSignatureCheck());
  const alphaSecret = `alpha-secret-${randomBytes(8).toString('hex')}`;
  const betaSecret = `beta-secret-${randomBytes(8).toString('hex')}`;
  const unusedSecret = `unused-secret-${randomBytes(8).toString('hex')}`;
  let oidc: OidcTestServer;
  let d: Deployment;
  const seen = new Set<string>([webhookSecret, alphaSecret, betaSecret, unusedSecret]);
  let entries: any[] = [];
  let ids: { c1: string; c2: string };
  let midway = '';
  let unchecked: any;

  const cl = (method: string, route: string, body?: unknown) => d.call('config-loader', method, route, { body });
  const file = (alphaClientId = 'alpha-client') => ({
    // No validate endpoint: the health checks conclude not_checked without calling the provider.
    odata: { Alpha: oidcProvider(oidc, alphaClientId, alphaSecret, oidc.tokenEndpoint, false), Beta: oidcProvider(oidc, 'beta-client', betaSecret, oidc.tokenEndpoint, false) },
    slack: { Unused: { CLIENT_ID: '1234.5678', CLIENT_SECRET: unusedSecret } },
  });
  const remember = async (connectorId: string) => {
    const tokens = await d.tokensOf(connectorId);
    for (const value of [tokens.accessToken, tokens.refreshToken]) if (value) seen.add(value);
    return tokens;
  };

  beforeAll(async () => {
    await receiver.up();
    d = await startDeployment(kind, { FLOW_WEBHOOK_URL: receiver.url, FLOW_WEBHOOK_SECRET: webhookSecret, FLOW_WEBHOOK_RETRY_SECONDS: '1', FLOW_WEBHOOK_RETRY_MAX_SECONDS: '2', FLOW_HEALTH_SCAN_SECONDS: '1' });
    for (const key of [d.adminKey, d.serviceKey, d.encryptionKey]) seen.add(key);
    const redirectUris = [`${d.urls['flow-oauth-server']}${RETURN_PATH}`];
    oidc = await startOidcTestServer({
      clients: [
        { clientId: 'alpha-client', clientSecret: alphaSecret, redirectUris, tokenEndpointAuthMethod: 'client_secret_post' },
        { clientId: 'beta-client', clientSecret: betaSecret, redirectUris, tokenEndpointAuthMethod: 'client_secret_post' },
      ],
      // Refreshed every few seconds: a revoked grant shows at the next refresh.
      accessTokenTtlSeconds: 6,
    });

    // The session.
    const issued = await cl('POST', '/api/users', { name: 'alice' });
    expect(issued.status).toBe(201);
    const aliceKey = issued.json.key as string;
    seen.add(aliceKey);
    expect((await cl('POST', '/api/oauth-configurations', file())).status).toBe(200);
    expect((await cl('POST', '/api/oauth-configurations?dryRun=true', file())).status).toBe(200);
    expect((await cl('POST', '/api/oauth-configurations', { slack: { Bad: { CLIENT_ID: '<client id>', CLIENT_SECRET: unusedSecret } } })).status).toBe(400);
    await waitFor('flow-oauth-server to serve the providers', async () => ((await d.call('flow-oauth-server', 'GET', '/api/providers', { key: aliceKey })).json ?? []).length === 3);
    const c1 = await signIn(d, oidc, aliceKey, 'Alpha', 'Alpha_1');
    const c2 = await signIn(d, oidc, aliceKey, 'Beta', 'Beta_1');
    ids = { c1: c1.id, c2: c2.id };
    // These providers have no validate endpoint: their connectors show as not checked.
    unchecked = await waitFor('the first health check', async () => {
      const now = (await d.call('flow-oauth-server', 'GET', `/api/connectors/${c2.id}`, { key: aliceKey })).json;
      return now.lastCheckedAt ? now : undefined;
    });
    await remember(c1.id);
    await remember(c2.id);
    midway = new Date().toISOString();
    expect((await cl('POST', '/api/oauth-configurations', file('alpha-client-changed'))).status).toBe(409);
    expect((await cl('DELETE', '/api/oauth-configurations/slack/Unused')).status).toBe(204);
    expect((await cl('DELETE', '/api/oauth-configurations/odata/Alpha')).status).toBe(409);
    expect((await cl('DELETE', '/api/oauth-configurations/odata/Beta/tokens')).json).toEqual({ purged: 1, connectors: ['Beta_1'] });
    // A refresh failure: the user revoked Flow's access at the provider; the next refresh is refused.
    await oidc.revoke((await remember(c1.id)).refreshToken as string, { clientId: 'alpha-client', clientSecret: alphaSecret });
    await waitFor('the refresh failure in the audit trail', async () => (await cl('GET', `/api/audit?subject=connector:${c1.id}&type=connector.needs_reauth`)).json.length === 1, 30_000);
    expect((await d.call('flow-oauth-server', 'DELETE', `/api/connectors/${c1.id}`, { key: aliceKey })).status).toBe(204);
    expect((await d.call('flow-oauth-server', 'DELETE', `/api/connectors/${c2.id}`)).status).toBe(204);
    expect((await cl('DELETE', '/api/users/alice')).status).toBe(204);
    expect((await cl('POST', '/api/encryption-key/rotation')).status).toBe(200);

    const answer = await cl('GET', '/api/audit');
    expect(answer.status).toBe(200);
    entries = answer.json;
  });

  afterAll(async () => {
    await d?.stop();
    await oidc?.stop();
    await receiver.down();
  });

  it('has exactly the expected entries, in order, each with its actor, subject and outcome', () => {
    expect(entries.map((e) => [e.type, e.actor, e.subject, e.outcome])).toEqual([
      ['user.key_issued', 'admin', 'user:alice', 'ok'],
      ['configuration.load', 'admin', 'configuration', 'ok'],
      ['configuration.load', 'admin', 'configuration', 'dry_run'],
      ['configuration.load', 'admin', 'configuration', 'invalid'],
      ['connector.created', 'user:alice', `connector:${ids.c1}`, 'ok'],
      ['connector.created', 'user:alice', `connector:${ids.c2}`, 'ok'],
      ['configuration.load', 'admin', 'configuration', 'refused'],
      ['provider.delete', 'admin', 'provider:slack/Unused', 'ok'],
      ['provider.delete', 'admin', 'provider:odata/Alpha', 'refused'],
      ['tokens.purge', 'admin', 'provider:odata/Beta', 'ok'],
      ['connector.needs_reauth', 'admin', `connector:${ids.c2}`, 'ok'],
      ['connector.needs_reauth', 'system', `connector:${ids.c1}`, 'ok'],
      ['connector.deleted', 'user:alice', `connector:${ids.c1}`, 'ok'],
      ['connector.deleted', 'admin', `connector:${ids.c2}`, 'ok'],
      ['user.key_revoked', 'admin', 'user:alice', 'ok'],
      ['encryption_key.rotation', 'admin', 'encryption_key', 'ok'],
    ]);
    const times = entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('keeps each load with its plan, and what each change was about', () => {
    const [, applied, dryRun, invalid, , , refused, , inUse, purge, purged, failed, deleted] = entries;
    expect(applied.detail).toEqual({
      added: expect.arrayContaining(['odata/Alpha', 'odata/Beta', 'slack/Unused']),
      updated: [],
      unchanged: 0,
      conflicts: [],
      counts: { added: 3, updated: 0, unchanged: 0, conflicts: 0 },
    });
    expect(dryRun.detail.counts).toEqual({ added: 0, updated: 0, unchanged: 3, conflicts: 0 });
    expect(invalid.detail).toEqual({ dryRun: false, errors: 1 });
    expect(refused.detail.conflicts).toEqual([{ provider: 'odata/Alpha', connectors: ['Alpha_1'] }]);
    expect(inUse.detail).toEqual({ type: 'odata', provider: 'Alpha', connectors: ['Alpha_1'] });
    expect(purge.detail).toEqual({ type: 'odata', provider: 'Beta', connectors: ['Beta_1'] });
    expect(purged.detail).toMatchObject({ label: 'Beta_1', reason: 'tokens_purged' });
    expect(failed.detail).toMatchObject({ label: 'Alpha_1', provider: 'Alpha', owner: 'alice', reason: 'invalid_grant' });
    expect(deleted.detail).toMatchObject({ label: 'Alpha_1', revoked: expect.any(Boolean) });
  });

  it('shows connectors of a provider without a validate endpoint as not checked, and records no entry for a check', () => {
    expect(unchecked).toMatchObject({ health: 'not_checked', healthDetail: 'the provider has no validation endpoint', expiry: 'valid' });
  });

  it('filters by time, type and actor, and refuses a bad filter without changing anything', async () => {
    const types = async (query: string) => ((await cl('GET', `/api/audit?${query}`)).json as Array<{ type: string; subject: string }>).map((e) => `${e.type} ${e.subject}`);
    expect(await types('type=connector.*')).toEqual([
      `connector.created connector:${ids.c1}`,
      `connector.created connector:${ids.c2}`,
      `connector.needs_reauth connector:${ids.c2}`,
      `connector.needs_reauth connector:${ids.c1}`,
      `connector.deleted connector:${ids.c1}`,
      `connector.deleted connector:${ids.c2}`,
    ]);
    expect(await types('actor=user:alice')).toEqual([`connector.created connector:${ids.c1}`, `connector.created connector:${ids.c2}`, `connector.deleted connector:${ids.c1}`]);
    expect(await types(`since=${encodeURIComponent(midway)}&type=configuration.load`)).toEqual(['configuration.load configuration']);
    const bad = await cl('GET', '/api/audit?since=yesterday&colour=red');
    expect([bad.status, bad.json.error]).toEqual([400, 'invalid_request']);
    expect(bad.json.message).toMatch(/since must be .*unknown parameter colour|unknown parameter colour.*since must be/);
    expect(((await cl('GET', '/api/audit')).json as unknown[]).length).toBe(entries.length);
    expect((await d.call('config-loader', 'GET', '/api/audit', { key: d.serviceKey })).status).toBe(403);
  });

  it('reads the same trail through the CLI', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--url', d.urls['config-loader'], '--key', d.adminKey], { encoding: 'utf8' });
    const json = run('audit', '--json');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(entries);
    const table = run('audit', '--type', 'connector.*', '--actor', 'system');
    expect(table.status).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^time\s+actor\s+type\s+subject\s+outcome\s+detail$/);
    expect(lines[2]).toMatch(new RegExp(`system\\s+connector\\.needs_reauth\\s+connector:${ids.c1}\\s+ok\\s+label=Alpha_1 .*reason=invalid_grant`));
    expect(lines[lines.length - 1]).toBe('1 entry');
    const refused = run('audit', '--since', 'yesterday');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('since must be an ISO 8601 time');
  });

  it("delivered each connector event as a signed webhook, listed with its outcome", async () => {
    const delivered = await waitFor('six delivered webhooks', async () => {
      const rows = (await cl('GET', '/api/webhooks/deliveries?status=delivered')).json as Array<{ event: string; subject: string; sequence: number }>;
      return rows.length >= 6 ? rows : undefined;
    });
    const bySubject = (id: string) => delivered.filter((r) => r.subject === `connector:${id}`).sort((a, b) => a.sequence - b.sequence).map((r) => r.event);
    expect(bySubject(ids.c1)).toEqual(['connector.created', 'connector.needs_reauth', 'connector.deleted']);
    expect(bySubject(ids.c2)).toEqual(['connector.created', 'connector.needs_reauth', 'connector.deleted']);
    expect(receiver.received).toHaveLength(6);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it('holds no secret, key or token: not the entries, the deliveries, the CLI output, nor any log line', async () => {
    const places: Record<string, string> = {
      audit: (await cl('GET', '/api/audit')).text,
      deliveries: (await cl('GET', '/api/webhooks/deliveries')).text,
      webhooks: receiver.received.map((r) => r.raw.toString('utf8')).join('\n'),
      cli: spawnSync(process.execPath, [CLI, 'audit', '--url', d.urls['config-loader'], '--key', d.adminKey], { encoding: 'utf8' }).stdout,
      logs: d.output.join('\n'),
    };
    expect(seen.size).toBeGreaterThanOrEqual(12);
    const found = Object.entries(places).flatMap(([place, text]) => [...seen].filter((value) => text.includes(value)).map((value) => `${place}: ${value.slice(0, 12)}...`));
    expect(found).toEqual([]);
  });
});
