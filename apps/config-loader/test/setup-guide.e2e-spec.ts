import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

// GET /api/connector-types/:type/setup on SQLite: this deployment's redirect URI, the loaded
// providers (never a secret), and a fragment that the load API takes once its placeholders are filled in.

const PUBLIC_URL = 'https://flow.example.com:8443';
const SECRET = 'guide-secret-never-shown-4711';

describe('config-loader setup guide', () => {
  let loader: RunningConfigLoader;

  beforeAll(async () => {
    loader = await startConfigLoader('sqlite', { FLOW_PUBLIC_URL: PUBLIC_URL });
    expect((await loader.call('POST', '/api/oauth-configurations', { zendesk: { Zendesk: { CLIENT_ID: 'zd-client', CLIENT_SECRET: SECRET, SUBDOMAIN: 'acme' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await loader?.close();
  });

  it('answers the guide of a type with the exact redirect URI, the loaded providers and no secret', async () => {
    const res = await loader.call('GET', '/api/connector-types/zendesk/setup');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      type: 'zendesk',
      redirectUri: `${PUBLIC_URL}/Thingworx/Oauths/oauth/return`,
      grant: { type: 'authorization_code', pkce: 'S256', refreshTokenRotates: 'yes' },
      scopes: [{ scope: 'read' }, { scope: 'write' }],
      connectionParameters: [{ id: 'subdomain', providerDefault: 'SUBDOMAIN' }],
      loadedProviders: [{ provider: 'Zendesk', state: 'ok', clientId: 'zd-client', scopes: ['read', 'write'] }],
      fragment: { zendesk: { 'Zendesk-2': { CLIENT_ID: '<client id here>', CLIENT_SECRET: '<client secret here>' } } },
    });
    expect(res.text).not.toContain(SECRET);
    expect(res.text).not.toContain('********');
  });

  it('gives a fragment that loads once its secret is filled in, and adds a provider', async () => {
    const guide = (await loader.call('GET', '/api/connector-types/google_sheet/setup')).json;
    const fragment = JSON.parse(JSON.stringify(guide.fragment).replace('<client id here>', 'sheet-client').replace('<client secret here>', 'sheet-secret-1'));
    const res = await loader.call('POST', '/api/oauth-configurations', fragment);
    expect(res.status).toBe(200);
    expect(res.json.plan.added).toEqual([{ type: 'google_sheet', provider: 'Google Sheet' }]);
  });

  it.each(['gmail', 'GOOGLE_GMAIL', '__proto__', 'constructor'])('answers 404 in the API error shape for the unknown type %s', async (type) => {
    const res = await loader.call('GET', `/api/connector-types/${encodeURIComponent(type)}/setup`);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: 'not_found', message: expect.stringContaining(`No connector type "${type}"`) });
  });

  it('asks for the admin key', async () => {
    expect((await loader.call('GET', '/api/connector-types/zendesk/setup', undefined, { key: null })).status).toBe(401);
  });
});
