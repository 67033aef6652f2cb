import { randomUUID } from 'node:crypto';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { ActivityRecorder } from '@flow-oauth/activity';
import { ProviderCredentialsState } from '@flow-oauth/provider-reader';
import { SecretBox } from '@flow-oauth/secrets';
import { LogCapture, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import seedSnippets from './fixtures/seed-snippets.json';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

/** Replaces every `<...>`-style placeholder of a seed snippet with a realistic value, as an operator would. */
function fillPlaceholders(snippet: string, tag: string): string {
  let n = 0;
  return snippet.replace(/"(<[^"]*>|[^"]*here>)"/g, (_, placeholder: string) => {
    n += 1;
    if (/base url/i.test(placeholder)) return '"https://pingfed.example.com:9031/as"';
    if (/authori[sz]ation url/i.test(placeholder)) return `"https://idp-${tag}.example.com/oauth/authorize"`;
    if (/token url/i.test(placeholder)) return `"https://idp-${tag}.example.com/oauth/token"`;
    if (/secret/i.test(placeholder)) return `"sec-${tag}-${n}-Zq9wXv3"`;
    return `"id-${tag}-${n}.apps.example.com"`;
  });
}

/** Seed snippets that are whole provider entries (the odata definition and the field fragments are used below). */
const providerSnippets = (seedSnippets as string[]).filter((s) => /^\{?\s*"[a-z_0-9]+": \{\n"[^"]+": \{/.test(s));
const odataSample = (seedSnippets as string[]).find((s) => s.includes('"name": "odata"')) as string;
const fragments = (seedSnippets as string[]).filter((s) => /^\{\n"oauth2_(validate_headers|params_scope|params_other)"/.test(s));

async function insertConnector(
  loader: RunningConfigLoader,
  type: string,
  provider: string,
  label: string,
  owner = 'alice',
): Promise<string> {
  const p = await loader.dataSource.getRepository(ProviderEntity).findOneByOrFail({ type, name: provider });
  const box = new SecretBox(loader.config.encryptionKey);
  const id = randomUUID();
  const now = new Date().toISOString();
  await loader.dataSource.getRepository(ConnectorEntity).insert({
    id,
    label,
    providerId: p.id,
    type,
    providerName: provider,
    owner,
    status: 'active',
    accessToken: box.seal(`at-${label}`, { table: 'connectors', column: 'access_token', row: id }),
    refreshToken: box.seal(`rt-${label}`, { table: 'connectors', column: 'refresh_token', row: id }),
    tokenType: 'Bearer',
    scope: null,
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    nextRefreshAt: new Date(Date.now() + 3300_000).toISOString(),
    params: '{}',
    metadata: '{}',
    lastError: null,
    tokenVersion: 1,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

const gmail = (providers: Record<string, { CLIENT_ID: string; CLIENT_SECRET: string }>) => ({ google_gmail: providers });

describe.each(TEST_DATABASE_KINDS)('config-loader load API on %s', (kind) => {
  let loader: RunningConfigLoader;

  beforeAll(async () => {
    loader = await startConfigLoader(kind);
  });
  afterAll(async () => {
    await loader.close();
  });

  it('loads every provider snippet of the seed page, placeholders filled, exactly as pasted', async () => {
    expect(providerSnippets.length).toBeGreaterThanOrEqual(24);
    for (const [i, snippet] of providerSnippets.entries()) {
      const res = await loader.call('POST', '/api/oauth-configurations', undefined, { raw: fillPlaceholders(snippet, `seed${i}`) });
      expect({ snippet: snippet.slice(0, 40), status: res.status, body: res.json }).toMatchObject({ status: 200, body: { applied: true } });
    }
    const loaded = (await loader.call('GET', '/api/oauth-configurations')).json;
    expect(Object.keys(loaded['google_task'])).toContain('Google Tasks');
    expect(Object.keys(loaded['excel'])).toContain('Excel Online');
    expect(Object.keys(loaded['microsoft_365'])).toContain('Office 365');
    expect(Object.keys(loaded['trello'])).toContain('Trello');
  });

  it("loads the seed's odata sample definition as a provider, with the documented field fragments merged in", async () => {
    const definition = JSON.parse(odataSample);
    for (const fragment of fragments) Object.assign(definition, JSON.parse(fragment));
    const file = { odata: { 'Dynamics 365': { CLIENT_ID: 'odata-client', CLIENT_SECRET: 'odata-secret-Zq9', ...definition } } };
    const res = await loader.call('POST', '/api/oauth-configurations', file);
    expect(res.status).toBe(200);
    expect(res.json.plan.added).toEqual([{ type: 'odata', provider: 'Dynamics 365' }]);
    for (const type of ['soap', 'swagger']) {
      const generic = {
        CLIENT_ID: `${type}-id`,
        CLIENT_SECRET: `${type}-secret`,
        AUTH_URL: `https://${type}.example.com/oauth/authorize`,
        TOKEN_URL: `https://${type}.example.com/oauth/token`,
        REFRESH_URL: `https://${type}.example.com/oauth/token`,
        VALIDATE_URL: `https://${type}.example.com/api/me`,
        ...Object.assign({}, ...fragments.map((f) => JSON.parse(f))),
      };
      const r = await loader.call('POST', '/api/oauth-configurations', { [type]: { [`${type}-1`]: generic } });
      expect({ type, status: r.status, body: r.json }).toMatchObject({ status: 200 });
    }
  });

  it('loads all 26 connector types from one file built from the template, then re-loads it as a no-op', async () => {
    const template = (await loader.call('GET', '/api/oauth-configurations/template')).json;
    expect(Object.keys(template)).toHaveLength(26);
    const filled = JSON.parse(fillPlaceholders(JSON.stringify(template, null, 1), 'tpl'));
    // Distinct names so this file does not collide with the seed test's providers.
    const file: Record<string, Record<string, unknown>> = {};
    for (const [type, providers] of Object.entries(filled as Record<string, Record<string, unknown>>)) {
      file[type] = Object.fromEntries(Object.entries(providers).map(([name, params]) => [`${name}-tpl`, params]));
    }
    const first = await loader.call('POST', '/api/oauth-configurations', file);
    expect({ status: first.status, errors: first.json.errors }).toEqual({ status: 200, errors: undefined });
    expect(new Set(first.json.plan.added.map((p: { type: string }) => p.type)).size).toBe(26);
    const again = await loader.call('POST', '/api/oauth-configurations', file);
    expect(again.json).toEqual({
      applied: true,
      plan: { added: [], updated: [], unchanged: first.json.plan.added, conflicts: [] },
    });
  });

  it('Gmail-1 / Gmail-2: an in-use provider changed refuses the whole load, naming provider and connectors', async () => {
    // The seed test loaded the page's Gmail-1/Gmail-2 already; start this scenario from scratch.
    await loader.call('DELETE', '/api/oauth-configurations/google_gmail/Gmail-1');
    await loader.call('DELETE', '/api/oauth-configurations/google_gmail/Gmail-2');
    const v1 = { 'Gmail-1': { CLIENT_ID: 'g1-id', CLIENT_SECRET: 'g1-secret' } };
    expect((await loader.call('POST', '/api/oauth-configurations', gmail(v1))).status).toBe(200);
    await insertConnector(loader, 'google_gmail', 'Gmail-1', 'MyGmail');
    const before = await loader.snapshot();

    const changed = gmail({ 'Gmail-1': { CLIENT_ID: 'g1-id-NEW', CLIENT_SECRET: 'g1-secret' }, 'Gmail-2': { CLIENT_ID: 'g2-id', CLIENT_SECRET: 'g2-secret' } });
    const refused = await loader.call('POST', '/api/oauth-configurations', changed);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: 'provider_in_use', conflicts: [{ type: 'google_gmail', provider: 'Gmail-1', connectors: ['MyGmail'] }] });
    expect(await loader.snapshot()).toBe(before); // Gmail-2, though valid, was not uploaded

    // The documented fix: keep Gmail-1 as it is and add Gmail-2.
    const fixed = await loader.call('POST', '/api/oauth-configurations', gmail({ ...v1, 'Gmail-2': { CLIENT_ID: 'g2-id', CLIENT_SECRET: 'g2-secret' } }));
    expect(fixed.json).toEqual({
      applied: true,
      plan: { added: [{ type: 'google_gmail', provider: 'Gmail-2' }], updated: [], unchanged: [{ type: 'google_gmail', provider: 'Gmail-1' }], conflicts: [] },
    });

    // Secret rotation of an in-use provider is allowed.
    const rotated = await loader.call('POST', '/api/oauth-configurations', gmail({ 'Gmail-1': { CLIENT_ID: 'g1-id', CLIENT_SECRET: 'g1-secret-rotated' } }));
    expect(rotated.json.plan.updated).toEqual([{ type: 'google_gmail', provider: 'Gmail-1' }]);

    // Delete refuses while in use.
    const del = await loader.call('DELETE', '/api/oauth-configurations/google_gmail/Gmail-1');
    expect(del.status).toBe(409);
    expect(del.json).toMatchObject({ error: 'provider_in_use', conflicts: [{ type: 'google_gmail', provider: 'Gmail-1', connectors: ['MyGmail'] }] });
    // The message says which connectors, how many, and what to do; not the load's "secret only" rule.
    expect(del.json.message).toBe(
      'Provider google_gmail/Gmail-1 is used by 1 connector (MyGmail); nothing was deleted. ' +
        'Delete that connector first (DELETE /api/connectors/:id on flow-oauth-server, or from the connectors page), then delete the provider.',
    );
    await loader.dataSource.getRepository(ConnectorEntity).delete({ label: 'MyGmail' });
    expect((await loader.call('DELETE', '/api/oauth-configurations/google_gmail/Gmail-1')).status).toBe(204);
    expect((await loader.call('DELETE', '/api/oauth-configurations/google_gmail/Gmail-1')).status).toBe(404);
  });

  it('concurrent loads all apply whole', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ github: Object.fromEntries(Array.from({ length: 40 }, (_, j) => [`Par-${i}-${j}`, { CLIENT_ID: `c${i}${j}`, CLIENT_SECRET: `s${i}${j}` }])) }));
    const answers = await Promise.all(files.map((f) => loader.call('POST', '/api/oauth-configurations', f)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    const loaded = (await loader.call('GET', '/api/oauth-configurations')).json.github;
    expect(Object.keys(loaded).filter((n) => n.startsWith('Par-'))).toHaveLength(240);
  });

  it('dryRun returns the plan, conflicts included, and writes nothing', async () => {
    await loader.call('POST', '/api/oauth-configurations', { slack: { 'Slack-Dry': { CLIENT_ID: 's-id', CLIENT_SECRET: 's-secret' } } });
    await insertConnector(loader, 'slack', 'Slack-Dry', 'DrySlack');
    const before = await loader.snapshot();
    const res = await loader.call('POST', '/api/oauth-configurations?dryRun=true', {
      slack: { 'Slack-Dry': { CLIENT_ID: 's-id-2', CLIENT_SECRET: 's-secret' }, 'Slack-New': { CLIENT_ID: 'n', CLIENT_SECRET: 'n' } },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      applied: false,
      plan: { added: [{ type: 'slack', provider: 'Slack-New' }], updated: [], unchanged: [], conflicts: [{ type: 'slack', provider: 'Slack-Dry', connectors: ['DrySlack'] }] },
    });
    expect(await loader.snapshot()).toBe(before);
  });

  it('never deletes providers missing from the file', async () => {
    await loader.call('POST', '/api/oauth-configurations', { box: { 'Box-A': { CLIENT_ID: 'a', CLIENT_SECRET: 'a' } } });
    await loader.call('POST', '/api/oauth-configurations', { box: { 'Box-B': { CLIENT_ID: 'b', CLIENT_SECRET: 'b' } } });
    const loaded = (await loader.call('GET', '/api/oauth-configurations')).json;
    expect(Object.keys(loaded.box)).toEqual(expect.arrayContaining(['Box-A', 'Box-B']));
  });

  describe('bad input gets a clear error and changes nothing', () => {
    const cases: Array<[string, { raw?: string; body?: unknown; contentType?: string; status: number; error: string; path?: string }]> = [
      ['not JSON', { raw: '{"slack": {"S": {"CLIENT_ID": "x",', status: 400, error: 'invalid_configuration' }],
      ['empty body', { raw: '', status: 400, error: 'invalid_configuration' }],
      ['not an object', { body: [{ slack: {} }], status: 400, error: 'invalid_configuration', path: '' }],
      ['unknown connector type', { body: { gmail: { G: { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } }, status: 400, error: 'invalid_configuration', path: '/gmail' }],
      ['missing required parameter', { body: { slack: { 'Slack-1': { CLIENT_ID: 'a' } } }, status: 400, error: 'invalid_configuration', path: '/slack/Slack-1/CLIENT_SECRET' }],
      ['empty required parameter', { body: { slack: { 'Slack-1': { CLIENT_ID: 'a', CLIENT_SECRET: '' } } }, status: 400, error: 'invalid_configuration', path: '/slack/Slack-1/CLIENT_SECRET' }],
      ['placeholder left in', { body: { slack: { 'Slack-1': { CLIENT_ID: '<client id here>', CLIENT_SECRET: 'x' } } }, status: 400, error: 'invalid_configuration', path: '/slack/Slack-1/CLIENT_ID' }],
      ['non-string secret', { body: { slack: { 'Slack-1': { CLIENT_ID: 'a', CLIENT_SECRET: 12345 } } }, status: 400, error: 'invalid_configuration', path: '/slack/Slack-1/CLIENT_SECRET' }],
      ['provider not an object', { body: { slack: { 'Slack-1': 'x' } }, status: 400, error: 'invalid_configuration', path: '/slack/Slack-1' }],
      ['empty provider name', { body: { slack: { '': { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } }, status: 400, error: 'invalid_configuration', path: '/slack/' }],
      ['provider name over 64 characters', { body: { slack: { ['S'.repeat(65)]: { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } }, status: 400, error: 'invalid_configuration', path: `/slack/${'S'.repeat(65)}` }],
      ['Gmail provider named Google', { body: { google_gmail: { Google: { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } }, status: 400, error: 'invalid_configuration', path: '/google_gmail/Google' }],
      ['duplicate keys', { raw: '{"slack": {"S": {"CLIENT_ID": "a", "CLIENT_SECRET": "b"}, "S": {"CLIENT_ID": "c", "CLIENT_SECRET": "d"}}}', status: 400, error: 'invalid_configuration', path: '/slack/S' }],
      ['__proto__ key', { raw: '{"__proto__": {"polluted": true}, "slack": {"S": {"CLIENT_ID": "a", "CLIENT_SECRET": "b"}}}', status: 400, error: 'invalid_configuration', path: '/__proto__' }],
      [
        'unknown template variable in a custom definition',
        {
          body: { odata: { O: { CLIENT_ID: 'a', CLIENT_SECRET: 'b', oauth2_auth_url: 'https://o.example.com/auth', oauth2_token_url: 'https://o.example.com/token', oauth2_token_data: ['{"code":"{codez}"}'] } } },
          status: 400,
          error: 'invalid_configuration',
          path: '/odata/O/oauth2_token_data/0',
        },
      ],
      ['wrong content type', { raw: '{"slack": {}}', contentType: 'text/plain', status: 415, error: 'unsupported_media_type' }],
    ];

    it.each(cases)('%s', async (_name, c) => {
      await loader.call('POST', '/api/oauth-configurations', { slack: { 'Slack-Keep': { CLIENT_ID: 'keep', CLIENT_SECRET: 'keep' } } });
      const before = await loader.snapshot();
      const res = await loader.call('POST', '/api/oauth-configurations', c.body, { raw: c.raw, contentType: c.contentType });
      expect(res.status).toBe(c.status);
      expect(res.json.error).toBe(c.error);
      expect(typeof res.json.message).toBe('string');
      if (c.path !== undefined) expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(c.path);
      expect(await loader.snapshot()).toBe(before);
    });

    it('lists every error of a file at once, each with its JSON path', async () => {
      const res = await loader.call('POST', '/api/oauth-configurations', {
        slack: { 'Slack-1': { CLIENT_ID: 'a' } },
        dropbox: { D: { CLIENT_ID: '<client id here>', CLIENT_SECRET: 'x' } },
        nope: {},
      });
      expect(res.status).toBe(400);
      const paths = res.json.errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['/slack/Slack-1/CLIENT_SECRET', '/dropbox/D/CLIENT_ID', '/nope']));
    });

    it('a body over FLOW_MAX_CONFIG_BYTES is refused with 413 and changes nothing', async () => {
      const small = await startConfigLoader(kind, { FLOW_MAX_CONFIG_BYTES: '2048' });
      try {
        const before = await small.snapshot();
        const big = { slack: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`Slack-${i}`, { CLIENT_ID: 'a', CLIENT_SECRET: 'b' }])) };
        const res = await small.call('POST', '/api/oauth-configurations', big);
        expect(res.status).toBe(413);
        expect(res.json).toMatchObject({ error: 'payload_too_large', limit: 2048, message: 'Body is larger than 2048 bytes (2 KiB), the most this route accepts; FLOW_MAX_CONFIG_BYTES sets it.' });
        expect(await small.snapshot()).toBe(before);
      } finally {
        await small.close();
      }
    });

    it('dryRun with a bad value is refused', async () => {
      const res = await loader.call('POST', '/api/oauth-configurations?dryRun=maybe', { slack: {} });
      expect(res.status).toBe(400);
    });
  });

  it('requires the admin key: 401 without or with a wrong key, 403 for a user key', async () => {
    expect((await loader.call('GET', '/api/oauth-configurations', undefined, { key: null })).status).toBe(401);
    expect((await loader.call('GET', '/api/oauth-configurations', undefined, { key: 'wrong-key-000000000' })).status).toBe(401);
    const user = await loader.call('POST', '/api/users', { name: 'bob' });
    expect(user.status).toBe(201);
    expect(user.json.key).toMatch(/^flow_u_/);
    expect((await loader.call('GET', '/api/oauth-configurations', undefined, { key: user.json.key })).status).toBe(403);
    const bearer = await fetch(`${loader.url}/api/oauth-configurations`, { headers: { authorization: `Bearer ${loader.config.adminKey}` } });
    expect(bearer.status).toBe(200);
    expect((await loader.call('GET', '/health', undefined, { key: null })).status).toBe(200);
  });

  it('every answer carries nosniff, a strict CSP and no-referrer (helmet), and no ETag', async () => {
    for (const [path, key] of [['/api/oauth-configurations', undefined], ['/api/oauth-configurations/template', undefined], ['/api/oauth-configurations', null], ['/health', null]] as const) {
      const res = await loader.call('GET', path, undefined, { key });
      expect({ path, nosniff: res.headers.get('x-content-type-options'), referrer: res.headers.get('referrer-policy'), etag: res.headers.get('etag') }).toEqual({ path, nosniff: 'nosniff', referrer: 'no-referrer', etag: null });
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('user keys: issued once, listed without keys, deleted', async () => {
    const created = await loader.call('POST', '/api/users', { name: 'carol' });
    expect(created.json).toEqual({ name: 'carol', key: expect.stringMatching(/^flow_u_[A-Za-z0-9_-]{32}$/) });
    expect((await loader.call('POST', '/api/users', { name: 'carol' })).status).toBe(409);
    expect((await loader.call('POST', '/api/users', { name: 'bad name!' })).status).toBe(400);
    const list = await loader.call('GET', '/api/users');
    expect(list.text).not.toContain(created.json.key);
    expect(list.json.map((u: { name: string }) => u.name)).toContain('carol');
    // A user who owns connectors is not deleted: a later user of the same name would inherit them.
    await loader.call('POST', '/api/oauth-configurations', { box: { 'Box-Carol': { CLIENT_ID: 'c', CLIENT_SECRET: 'c' } } });
    const connectorId = await insertConnector(loader, 'box', 'Box-Carol', 'CarolsBox', 'carol');
    const refused = await loader.call('DELETE', '/api/users/carol');
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: 'user_has_connectors', connectors: ['CarolsBox'] });
    await loader.dataSource.getRepository(ConnectorEntity).delete({ id: connectorId });
    expect((await loader.call('DELETE', '/api/users/carol')).status).toBe(204);
    expect((await loader.call('DELETE', '/api/users/carol')).status).toBe(404);
  });

  it('token purge empties the tokens of a provider\'s connectors (one user, or all) and marks them needs_reauth', async () => {
    await loader.call('POST', '/api/oauth-configurations', { dropbox: { 'Dropbox-P': { CLIENT_ID: 'd', CLIENT_SECRET: 'd' } } });
    await insertConnector(loader, 'dropbox', 'Dropbox-P', 'DropA', 'alice');
    await insertConnector(loader, 'dropbox', 'Dropbox-P', 'DropB', 'bob');
    const one = await loader.call('DELETE', '/api/oauth-configurations/dropbox/Dropbox-P/tokens?user=alice');
    expect(one.json).toEqual({ purged: 1, connectors: ['DropA'] });
    const repo = loader.dataSource.getRepository(ConnectorEntity);
    expect(await repo.findOneByOrFail({ label: 'DropA' })).toMatchObject({ status: 'needs_reauth', accessToken: null, refreshToken: null, nextRefreshAt: null });
    expect(await repo.findOneByOrFail({ label: 'DropB' })).toMatchObject({ status: 'active', nextRefreshAt: expect.any(String) });
    const all = await loader.call('DELETE', '/api/oauth-configurations/dropbox/Dropbox-P/tokens');
    expect(all.json).toEqual({ purged: 2, connectors: ['DropA', 'DropB'] });
    expect((await loader.call('DELETE', '/api/oauth-configurations/dropbox/Nope/tokens')).status).toBe(404);
  });

  it('ThingWorx service aliases behave like the API (object or JSON string)', async () => {
    const base = '/Thingworx/Subsystems/WorkflowSubsystem/Services';
    const asObject = await loader.call('POST', `${base}/LoadOAuthConfiguration`, { oauthConfigurations: { github: { 'GH-1': { CLIENT_ID: 'g', CLIENT_SECRET: 'g' } } } });
    expect(asObject.json).toMatchObject({ applied: true, plan: { added: [{ type: 'github', provider: 'GH-1' }] } });
    const asString = await loader.call('POST', `${base}/LoadOAuthConfiguration`, {
      oauthConfigurations: JSON.stringify({ github: { 'GH-2': { CLIENT_ID: 'g', CLIENT_SECRET: 'g' } } }),
    });
    expect(asString.json).toMatchObject({ applied: true, plan: { added: [{ type: 'github', provider: 'GH-2' }] } });
    const bad = await loader.call('POST', `${base}/LoadOAuthConfiguration`, { oauthConfigurations: { github: { 'GH-3': { CLIENT_ID: 'g' } } } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('/github/GH-3/CLIENT_SECRET');
    const read = await loader.call('POST', `${base}/GetOAuthConfiguration`, {});
    expect(Object.keys(read.json.github)).toEqual(expect.arrayContaining(['GH-1', 'GH-2']));
    expect((await loader.call('POST', `${base}/DeleteOAuthConfiguration`, { connectorName: 'github', oauthProvider: 'GH-2' })).status).toBe(204);
    expect((await loader.call('POST', `${base}/DeleteOAuthConfiguration`, { connectorName: 'github', oauthProvider: 'GH-2' })).status).toBe(404);
  });

  it('no secret appears in any answer or log line', async () => {
    const secrets = { slack: 'SLACK-SECRET-9f8e7d6c', trello: 'TRELLO-SECRET-1a2b3c4d', bad: 'BAD-SECRET-5e6f7a8b' };
    const capture = new LogCapture().start();
    const answers: string[] = [];
    try {
      const file = { slack: { 'Slack-S': { CLIENT_ID: 'sid', CLIENT_SECRET: secrets.slack } }, trello: { 'Trello-S': { CONSUMER_KEY: 'tk', CONSUMER_SECRET: secrets.trello } } };
      answers.push((await loader.call('POST', '/api/oauth-configurations', file)).text);
      answers.push((await loader.call('POST', '/api/oauth-configurations?dryRun=true', file)).text);
      // An invalid file that carries a secret: the error must not echo it.
      answers.push((await loader.call('POST', '/api/oauth-configurations', { slack: { 'Slack-X': { CLIENT_ID: 7, CLIENT_SECRET: secrets.bad, EXTRA: secrets.bad } } })).text);
      answers.push((await loader.call('POST', '/api/oauth-configurations', `{"slack": {"S": {"CLIENT_SECRET": "${secrets.bad}", "CLIENT_SECRET": "${secrets.bad}"}}}`)).text);
      answers.push((await loader.call('GET', '/api/oauth-configurations')).text);
      answers.push((await loader.call('POST', '/Thingworx/Subsystems/WorkflowSubsystem/Services/GetOAuthConfiguration', {})).text);
    } finally {
      capture.stop();
    }
    const everything = answers.join('\n') + capture.text();
    for (const secret of Object.values(secrets)) expect(everything).not.toContain(secret);
    const read = JSON.parse(answers[4]);
    expect(read.slack['Slack-S']).toEqual({ CLIENT_ID: 'sid', CLIENT_SECRET: '********', state: 'ok' });
    expect(read.trello['Trello-S']).toEqual({ CONSUMER_KEY: 'tk', CONSUMER_SECRET: '********', state: 'ok' });
    // And at rest the secret is sealed.
    const row = await loader.dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'slack', name: 'Slack-S' });
    expect(row.secrets).not.toContain(secrets.slack);
    expect(row.settings).not.toContain(secrets.slack);
  });

  describe("a provider whose credentials the provider rejected (an operator's mistyped secret)", () => {
    const reject = async (type: string, name: string) => {
      const row = await loader.dataSource.getRepository(ProviderEntity).findOneByOrFail({ type, name });
      // As token-refresher marks it (config-loader builds no ProviderCredentialsState of its own).
      const state = new ProviderCredentialsState(loader.dataSource, loader.app.get(ActivityRecorder));
      expect(await state.markRejected(row, 'invalid_client')).toBe(true);
    };

    it('shows state credentials_rejected with when and why beside the redacted settings; others show ok', async () => {
      await loader.call('POST', '/api/oauth-configurations', { zendesk: { 'Zen-Ok': { CLIENT_ID: 'z1', CLIENT_SECRET: 'z1-secret', SUBDOMAIN: 'acme' }, 'Zen-Bad': { CLIENT_ID: 'z2', CLIENT_SECRET: 'z2-typo', SUBDOMAIN: 'acme' } } });
      await reject('zendesk', 'Zen-Bad');
      const read = (await loader.call('GET', '/api/oauth-configurations')).json.zendesk;
      expect(read['Zen-Ok']).toEqual({ CLIENT_ID: 'z1', CLIENT_SECRET: '********', SUBDOMAIN: 'acme', state: 'ok' });
      expect(read['Zen-Bad']).toEqual({ CLIENT_ID: 'z2', CLIENT_SECRET: '********', SUBDOMAIN: 'acme', state: 'credentials_rejected', rejectedAt: expect.any(String), rejectedError: 'invalid_client' });
      expect(Date.parse(read['Zen-Bad'].rejectedAt)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('the answer loads back as a file: the status fields are not settings (an unchanged provider stays as it is)', async () => {
      await loader.call('POST', '/api/oauth-configurations', { box: { 'Box-Back': { CLIENT_ID: 'bb', CLIENT_SECRET: 'bb-secret' } }, odata: { 'OData-Back': { CLIENT_ID: 'ob', CLIENT_SECRET: 'ob-secret', AUTH_URL: 'https://idp.example.com/a', TOKEN_URL: 'https://idp.example.com/t' } } });
      await reject('box', 'Box-Back');
      const read = (await loader.call('GET', '/api/oauth-configurations')).json;
      const file = { box: { 'Box-Back': { ...read.box['Box-Back'], CLIENT_SECRET: 'bb-secret' } }, odata: { 'OData-Back': { ...read.odata['OData-Back'], CLIENT_SECRET: 'ob-secret' } } };
      const before = await loader.snapshot();
      const again = await loader.call('POST', '/api/oauth-configurations', file);
      expect(again.json).toEqual({ applied: true, plan: { added: [], updated: [], unchanged: [{ type: 'box', provider: 'Box-Back' }, { type: 'odata', provider: 'OData-Back' }], conflicts: [] } });
      expect(await loader.snapshot()).toBe(before);
      // A value that is not a status is a parameter like any other, and refused as one.
      const odd = await loader.call('POST', '/api/oauth-configurations', { box: { 'Box-Back': { CLIENT_ID: 'bb', CLIENT_SECRET: 'bb-secret', state: 'on' } } });
      expect(odd.status).toBe(400);
      expect(odd.json.errors[0].path).toBe('/box/Box-Back/state');
    });

    it('a load that changes its secret sets it back to ok (rejectedAt and rejectedError gone)', async () => {
      await loader.call('POST', '/api/oauth-configurations', { dropbox: { 'Drop-Fix': { CLIENT_ID: 'df', CLIENT_SECRET: 'df-typo' } } });
      await insertConnector(loader, 'dropbox', 'Drop-Fix', 'DropFixConn');
      await reject('dropbox', 'Drop-Fix');
      const fixed = await loader.call('POST', '/api/oauth-configurations', { dropbox: { 'Drop-Fix': { CLIENT_ID: 'df', CLIENT_SECRET: 'df-right' } } });
      expect(fixed.json.plan.updated).toEqual([{ type: 'dropbox', provider: 'Drop-Fix' }]);
      expect((await loader.call('GET', '/api/oauth-configurations')).json.dropbox['Drop-Fix']).toEqual({ CLIENT_ID: 'df', CLIENT_SECRET: '********', state: 'ok' });
      // Its connector was never touched.
      expect(await loader.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'DropFixConn' })).toMatchObject({ status: 'active', lastError: null });
    });
  });

  it('GET /api/connector-types lists the 26 types with protocol and required parameters', async () => {
    const res = await loader.call('GET', '/api/connector-types');
    expect(res.json).toHaveLength(26);
    expect(res.json.find((t: { type: string }) => t.type === 'trello')).toMatchObject({ protocol: 'OAuth1', requiredParameters: ['CONSUMER_KEY', 'CONSUMER_SECRET'] });
  });
});
