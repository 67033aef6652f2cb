import { ProviderEntity } from '@flow-oauth/persistence';
import { LogCapture, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

/**
 * A generic provider (odata, soap, swagger) keeps its own definition fields in clear; only
 * CLIENT_SECRET is sealed and redacted. A secret typed anywhere else is refused with its JSON path,
 * and never appears in an answer or a log line.
 */
const TYPED = 'typed-secret-e2e-Hx27Lm';
const endpoints = { CLIENT_ID: 'client-1', CLIENT_SECRET: 'real-secret-e2e-Qp55', oauth2_auth_url: 'https://idp.example.com/authorize', oauth2_token_url: 'https://idp.example.com/token' };

const variants: Array<[string, Record<string, unknown>, string]> = [
  ['a lowercase client_secret key', { ...endpoints, client_secret: TYPED }, '/odata/Typed/client_secret'],
  ['a CLIENT_Secret key in another case', { ...endpoints, CLIENT_Secret: TYPED }, '/odata/Typed/CLIENT_Secret'],
  ['a secret written into oauth2_token_data', { ...endpoints, oauth2_token_data: ['{"code":"{code}"}', `{"client_secret":"${TYPED}"}`] }, '/odata/Typed/oauth2_token_data/1'],
  ['a secret written into env_production_params', { ...endpoints, env_production_params: [`{"client_secret":"${TYPED}"}`] }, '/odata/Typed/env_production_params/0'],
  ['credentials written into an Authorization header', { ...endpoints, oauth2_validate_headers: [`{"Authorization":"Basic ${TYPED}"}`] }, '/odata/Typed/oauth2_validate_headers/0'],
  ['a secret in a token URL query', { ...endpoints, oauth2_token_url: `https://idp.example.com/token?client_secret=${TYPED}` }, '/odata/Typed/oauth2_token_url'],
];

describe.each(TEST_DATABASE_KINDS)('config-loader refuses secrets typed into generic definitions on %s', (kind) => {
  let loader: RunningConfigLoader;
  const logs = new LogCapture();

  beforeAll(async () => {
    loader = await startConfigLoader(kind);
    logs.start();
  });
  afterAll(async () => {
    logs.stop();
    await loader?.close();
  });

  it.each(variants)('refuses %s with its path; nothing is written', async (_label, settings, path) => {
    const before = await loader.snapshot();
    for (const [route, body] of [
      ['/api/oauth-configurations', { odata: { Typed: settings } }],
      ['/api/oauth-configurations?dryRun=true', { odata: { Typed: settings } }],
      ['/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration', { oauthConfigurations: { odata: { Typed: settings } } }],
    ] as const) {
      const res = await loader.call('POST', route, body);
      expect({ route, status: res.status, error: res.json.error }).toEqual({ route, status: 400, error: 'invalid_configuration' });
      expect(res.json.errors).toContainEqual({ path, message: expect.stringContaining('CLIENT_SECRET') });
      expect(res.text).not.toContain(TYPED);
    }
    expect(await loader.snapshot()).toBe(before);
  });

  it('the same provider with the secret in CLIENT_SECRET and templates that refer to it loads, and reads back redacted', async () => {
    const res = await loader.call('POST', '/api/oauth-configurations', {
      odata: { Typed: { ...endpoints, oauth2_token_data: ['{"code":"{code}"}', '{"client_secret":"{{{production.CLIENT_SECRET}}}"}', '{"grant_type":"authorization_code"}'] } },
    });
    expect(res.status).toBe(200);
    const read = await loader.call('GET', '/api/oauth-configurations');
    expect(read.json.odata.Typed).toMatchObject({ CLIENT_SECRET: '********', oauth2_token_data: expect.arrayContaining(['{"client_secret":"{{{production.CLIENT_SECRET}}}"}']) });
    expect(read.text).not.toContain(endpoints.CLIENT_SECRET);
  });

  it('a provider stored before the check with a typed secret reads back redacted, on both read routes', async () => {
    await loader.call('POST', '/api/oauth-configurations', { swagger: { Legacy: { ...endpoints } } });
    const repo = loader.dataSource.getRepository(ProviderEntity);
    const row = await repo.findOneByOrFail({ type: 'swagger', name: 'Legacy' });
    const settings = { ...JSON.parse(row.settings), client_secret: TYPED, oauth2_token_data: [`{"client_secret":"${TYPED}"}`] };
    await repo.update({ id: row.id }, { settings: JSON.stringify(settings) });
    for (const [method, route] of [
      ['GET', '/api/oauth-configurations'],
      ['GET', '/Thingworx/Subsystems/WorkflowSubsystem/Services/GetOAuthConfiguration'],
      ['POST', '/Thingworx/Subsystems/WorkflowSubsystem/Services/GetOAuthConfiguration'],
    ] as const) {
      const read = await loader.call(method, route);
      expect(read.status).toBe(200);
      expect(read.json.swagger.Legacy).toMatchObject({ client_secret: '********', oauth2_token_data: ['{"client_secret":"********"}'], CLIENT_SECRET: '********' });
      expect(read.text).not.toContain(TYPED);
    }
  });

  it('no typed secret reached a log line', () => {
    expect(logs.text()).not.toContain(TYPED);
    expect(logs.text()).not.toContain(endpoints.CLIENT_SECRET);
  });
});
