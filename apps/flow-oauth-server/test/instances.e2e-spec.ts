import { ConnectorEntity } from '@flow-oauth/persistence';
import { HttpSession, type OidcTestServer, openStartLink, startOidcTestServer } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/** Several flow-oauth-server instances of one deployment, and restarts. */
describe('flow-oauth-server instances', () => {
  let a: RunningFlowServer;
  let b: RunningFlowServer;

  beforeAll(async () => {
    a = await startFlowServer('sqlite');
    b = await startFlowServer('sqlite', {}, { db: a.db, config: a.config });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const providerNames = async (server: RunningFlowServer) =>
    ((await server.call('GET', '/api/providers')).json as Array<{ provider: string }>).map((p) => p.provider);

  it('every running instance serves newly loaded providers within a second, through providers.changed', async () => {
    // Loaded through the load use case only (no direct reload): the event is what tells the instances.
    await (await a.providerSettings()).load({ github: { 'GH-Live': { CLIENT_ID: 'id', CLIENT_SECRET: 'secret' } } }, { dryRun: false });
    const started = Date.now();
    for (;;) {
      const [onA, onB] = await Promise.all([providerNames(a), providerNames(b)]);
      if (onA.includes('GH-Live') && onB.includes('GH-Live')) break;
      if (Date.now() - started > 1000) throw new Error(`not served within 1 s: a=${onA} b=${onB}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  it('a deleted provider disappears from every instance', async () => {
    await (await a.providerSettings()).delete('github', 'GH-Live');
    const started = Date.now();
    while ((await providerNames(b)).includes('GH-Live')) {
      if (Date.now() - started > 1000) throw new Error('still served after 1 s');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
});

describe('a restart loses no connector and no in-flight sign-in', () => {
  let oidc: OidcTestServer;
  let first: RunningFlowServer;

  afterAll(async () => {
    await oidc?.stop();
  });

  it('a sign-in started before a restart finishes on the restarted server, and old connectors keep working', async () => {
    first = await startFlowServer('sqlite');
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'restart-client', clientSecret: 'restart-secret-000', redirectUris: [first.config.returnUrl], tokenEndpointAuthMethod: 'client_secret_basic' }],
    });
    await first.loadProviders({
      odata: {
        'OIDC-Restart': {
          CLIENT_ID: 'restart-client',
          CLIENT_SECRET: 'restart-secret-000',
          oauth2_auth_url: oidc.authorizationEndpoint,
          oauth2_token_url: oidc.tokenEndpoint,
          oauth2_client_auth: 'client_secret_basic',
          oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline"}'],
        },
      },
    });
    const browser = new HttpSession();
    /** Start link, confirmation and provider sign-in in `browser`: the return URL, not yet opened. */
    const signIn = async (server: RunningFlowServer, label: string) => {
      const start = await server.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Restart', label });
      return oidc.completeAuthorization((await openStartLink(browser, start.json.authorizeUrl)).providerUrl);
    };
    expect((await browser.request('GET', await signIn(first, 'Before_Restart'))).status).toBe(200);
    const inFlight = await signIn(first, 'During_Restart');
    // And one whose start link is opened only after the restart.
    const notOpened = await first.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Restart', label: 'Opened_After_Restart' });

    const { db, config } = first;
    // Stop the app (as pm2 restart does) but keep its database; start it again on the same port.
    await first.app.close();
    const second = await startFlowServer('sqlite', {}, { db, config, samePort: true });
    try {
      // The binding lives in Redis with the state: the browser finishes on the restarted server.
      expect((await browser.request('GET', inFlight)).status).toBe(200);
      const late = await oidc.completeAuthorization((await openStartLink(browser, notOpened.json.authorizeUrl)).providerUrl);
      expect((await browser.request('GET', late)).status).toBe(200);
      const labels = (await second.call('GET', '/api/connectors')).json.map((c: { label: string }) => c.label);
      expect(labels).toEqual(expect.arrayContaining(['Before_Restart', 'During_Restart', 'Opened_After_Restart']));
      const before = await second.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'Before_Restart' });
      expect((await second.call('GET', `/api/connectors/${before.id}/token`)).status).toBe(200);
    } finally {
      await second.close();
      await db.drop();
    }
  });
});
