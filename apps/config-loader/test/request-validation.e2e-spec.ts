import { randomUUID } from 'node:crypto';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

// Every config-loader route with a request schema (zod, libs/*/…-request(s).ts): a bad field is a 400
// `invalid_request` whose message names it, with one `problems` entry per field, and nothing is written.

const THINGWORX = '/Thingworx/Subsystems/WorkflowSubsystem/Services';

describe.each(TEST_DATABASE_KINDS)('config-loader request validation on %s', (kind) => {
  let loader: RunningConfigLoader;

  beforeAll(async () => {
    loader = await startConfigLoader(kind);
    // State a wrongly accepted request would change: a provider to delete, a connector to purge, a user.
    expect((await loader.call('POST', '/api/oauth-configurations', { github: { 'GH-Keep': { CLIENT_ID: 'gh-id', CLIENT_SECRET: 'gh-secret' } } })).status).toBe(200);
    expect((await loader.call('POST', '/api/users', { name: 'alice' })).status).toBe(201);
    const provider = await loader.dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'github', name: 'GH-Keep' });
    const now = new Date().toISOString();
    await loader.dataSource.getRepository(ConnectorEntity).insert({
      id: randomUUID(),
      label: 'Alices_GH',
      providerId: provider.id,
      type: 'github',
      providerName: 'GH-Keep',
      owner: 'alice',
      status: 'active',
      params: '{}',
      metadata: '{}',
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    });
  });
  afterAll(async () => {
    await loader?.close();
  });

  /** A refused request: 400 invalid_request naming each field, and the database exactly as before. */
  async function expectRefused(method: string, path: string, body: unknown, problems: Array<{ path: string; message: string }>): Promise<void> {
    const before = await loader.snapshot();
    const res = await loader.call(method, path, body);
    expect({ path, status: res.status, body: res.json }).toEqual({
      path,
      status: 400,
      body: { error: 'invalid_request', message: `${problems.map((p) => p.message).join('; ')}.`, problems },
    });
    expect(await loader.snapshot()).toBe(before);
  }

  it.each([
    ['no name', {}, [{ path: '/name', message: 'name is required' }]],
    ['a name that is not a string', { name: 42 }, [{ path: '/name', message: 'name must be a string' }]],
    ['a name with a space', { name: 'bad name!' }, [{ path: '/name', message: 'name must be 1-64 characters: letters, digits, _ . @ - (starting with a letter or digit)' }]],
    ['a name over 64 characters', { name: 'a'.repeat(65) }, [{ path: '/name', message: 'name must be 1-64 characters: letters, digits, _ . @ - (starting with a letter or digit)' }]],
    ['a reserved name in any case', { name: 'Admin' }, [{ path: '/name', message: 'name "Admin" is reserved' }]],
  ])('POST /api/users with %s is refused, naming name, and creates no user', async (_case, body, problems) => {
    await expectRefused('POST', '/api/users', body, problems);
  });

  it.each([
    [
      'an empty body',
      {},
      [
        { path: '/connectorName', message: 'connectorName is required' },
        { path: '/oauthProvider', message: 'oauthProvider is required' },
      ],
    ],
    ['no oauthProvider', { connectorName: 'github' }, [{ path: '/oauthProvider', message: 'oauthProvider is required' }]],
    ['an empty connectorName', { connectorName: '', oauthProvider: 'GH-Keep' }, [{ path: '/connectorName', message: 'connectorName is required' }]],
    ['a connectorName that is not a string', { connectorName: ['github'], oauthProvider: 'GH-Keep' }, [{ path: '/connectorName', message: 'connectorName must be a string' }]],
  ])('DeleteOAuthConfiguration with %s is refused, naming the fields, and deletes nothing', async (_case, body, problems) => {
    await expectRefused('POST', `${THINGWORX}/DeleteOAuthConfiguration`, body, problems);
  });

  it.each([
    ['/api/oauth-configurations?dryRun=maybe', { slack: { 'Slack-New': { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } }],
    ['/api/oauth-configurations?dryRun=true&dryRun=false', { slack: { 'Slack-New': { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } }],
    [`${THINGWORX}/LoadOAuthConfiguration?dryRun=yes`, { oauthConfigurations: { slack: { 'Slack-New': { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } } }],
  ])('a load with a dryRun that is not true or false (%s) is refused and loads nothing', async (path, file) => {
    await expectRefused('POST', path, file, [{ path: '/dryRun', message: 'dryRun must be true or false' }]);
  });

  it('dryRun is read as before: true, TRUE and 1 plan only; false and 0 load', async () => {
    const file = (name: string) => ({ slack: { [name]: { CLIENT_ID: 'a', CLIENT_SECRET: 'b' } } });
    for (const value of ['true', 'TRUE', '1']) {
      const res = await loader.call('POST', `/api/oauth-configurations?dryRun=${value}`, file('Slack-Dry'));
      expect({ value, status: res.status, applied: res.json.applied }).toEqual({ value, status: 200, applied: false });
    }
    for (const [value, name] of [['false', 'Slack-F'], ['0', 'Slack-0'], ['', 'Slack-Empty']]) {
      const res = await loader.call('POST', `/api/oauth-configurations?dryRun=${value}`, file(name));
      expect({ value, status: res.status, applied: res.json.applied, added: res.json.plan.added }).toEqual({ value, status: 200, applied: true, added: [{ type: 'slack', provider: name }] });
    }
  });

  it.each([
    ['an empty user', '?user=', 'user must not be empty: leave it out to purge the tokens of every user'],
    ['a repeated user', '?user=alice&user=bob', 'user must be one user name'],
  ])('a token purge with %s is refused, naming user, and purges nothing', async (_case, query, message) => {
    await expectRefused('DELETE', `/api/oauth-configurations/github/GH-Keep/tokens${query}`, undefined, [{ path: '/user', message }]);
    expect(await loader.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'Alices_GH' })).toMatchObject({ status: 'active' });
  });

  it('the routes still work with good requests', async () => {
    expect((await loader.call('POST', '/api/users', { name: 'bob.smith@example.com' })).status).toBe(201);
    const purged = await loader.call('DELETE', '/api/oauth-configurations/github/GH-Keep/tokens?user=alice');
    expect(purged.json).toEqual({ purged: 1, connectors: ['Alices_GH'] });
    await loader.dataSource.getRepository(ConnectorEntity).delete({ label: 'Alices_GH' });
    expect((await loader.call('POST', `${THINGWORX}/DeleteOAuthConfiguration`, { connectorName: 'github', oauthProvider: 'GH-Keep' })).status).toBe(204);
  });
});
