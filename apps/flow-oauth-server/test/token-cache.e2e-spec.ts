import { hashApiKey, UsersService } from '@flow-oauth/api-auth';
import { ConnectorEntity, ProviderEntity, UserEntity } from '@flow-oauth/persistence';
import { type ApiAnswer, HttpSession, LogCapture, type OidcTestServer, openStartLink, startOidcTestServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { ConnectorTokenStore, TokenRefreshService } from '@flow-oauth/token-refresh';
import { EVENT_WAIT_LIMIT_MS, type RunningFlowServer, startFlowServer, untilAnswers } from './flow-oauth-server.harness';

/** Upper bound of every wait below for something an event or a bound brings about (a bound on the test, not a speed claim). */
const WAIT_LIMIT_MS = EVENT_WAIT_LIMIT_MS;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * flow-oauth-server answers the token API, and takes user keys, from memory (FLOW_CACHE_SECONDS).
 * Two instances of one deployment (same database, keys and Redis prefix), as pm2 `instances: 2` runs
 * them, with a hold of 300 s: an instance that held an answer can only stop serving it sooner because
 * an event told it (or the token's own refresh time or expiry came). Each test first shows that the
 * second instance does hold the answer (it keeps serving it after an unannounced change in the
 * database), then makes the real change on the first instance and waits for the second to refuse.
 */
describe.each(TEST_DATABASE_KINDS)('token answers and user keys held in memory, two instances, on %s', (kind) => {
  let oidc: OidcTestServer;
  let a: RunningFlowServer;
  let b: RunningFlowServer;
  let aliceKey: string;
  let bobKey: string;
  const logs = new LogCapture();
  const served: string[] = [];
  const clientSecret = 'tc-secret-Zr81';

  beforeAll(async () => {
    logs.start();
    a = await startFlowServer(kind, { FLOW_CACHE_SECONDS: '300' });
    b = await startFlowServer(kind, {}, { db: a.db, config: a.config });
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'tc-client', clientSecret, redirectUris: [a.config.returnUrl], tokenEndpointAuthMethod: 'client_secret_post' }],
    });
    await a.loadProviders({
      odata: {
        'OIDC-Cache': {
          CLIENT_ID: 'tc-client',
          CLIENT_SECRET: clientSecret,
          oauth2_auth_url: oidc.authorizationEndpoint,
          oauth2_token_url: oidc.tokenEndpoint,
          oauth2_client_auth: 'client_secret_post',
          oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline"}'],
        },
      },
    });
    aliceKey = await a.createUser('alice');
    bobKey = await a.createUser('bob');
  });
  afterAll(async () => {
    logs.stop();
    await b?.close();
    await a?.close();
    await oidc?.stop();
  });

  /** A connector signed in through instance a by `owner`. */
  async function connect(label: string, ownerKey: string): Promise<ConnectorEntity> {
    const start = await a.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Cache', label }, ownerKey);
    expect(start.status).toBe(201);
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    expect((await browser.request('GET', await oidc.completeAuthorization(providerUrl))).status).toBe(200);
    return a.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label });
  }
  const connectors = () => a.dataSource.getRepository(ConnectorEntity);
  const token = async (server: RunningFlowServer, id: string, key: string | undefined = undefined): Promise<ApiAnswer> => {
    const answer = await server.call('GET', `/api/connectors/${id}/token`, undefined, key ?? server.config.serviceKey);
    if (answer.status === 200) served.push(answer.json.access_token as string);
    return answer;
  };

  /** Shows that `server` answers `id` from memory: it keeps serving the token while the row says needs_reauth, unannounced. */
  async function expectHeld(server: RunningFlowServer, id: string, key?: string): Promise<string> {
    const first = await token(server, id, key);
    expect(first.status).toBe(200);
    await connectors().update({ id }, { status: 'needs_reauth' });
    const meanwhile = await token(server, id, key);
    await connectors().update({ id }, { status: 'active' });
    expect(meanwhile.status).toBe(200);
    expect(meanwhile.json.access_token).toBe(first.json.access_token);
    return first.json.access_token as string;
  }

  it('a connector deleted on one instance is no longer served by another that held its answer', async () => {
    const connector = await connect(`Cache_Delete_${kind}`, aliceKey);
    await expectHeld(b, connector.id);

    expect((await a.call('DELETE', `/api/connectors/${connector.id}`, undefined, aliceKey)).status).toBe(204);

    const refused = await untilAnswers(404, () => token(b, connector.id));
    expect(refused.json.error).toBe('not_found');
  });

  it('a token purge on one instance stops another from serving the purged connector', async () => {
    const carolKey = await a.createUser('carol');
    const connector = await connect(`Cache_Purge_${kind}`, carolKey);
    await expectHeld(b, connector.id, carolKey);

    // What config-loader's purge does (same use case): tokens gone, needs_reauth, event per connector.
    expect((await (await a.providerSettings()).purgeTokens('odata', 'OIDC-Cache', 'carol')).purged).toBe(1);

    const refused = await untilAnswers(409, () => token(b, connector.id, carolKey));
    expect(refused.json.error).toBe('needs_reauth');
  });

  it('a reconnect on one instance stops another from serving the old token', async () => {
    const connector = await connect(`Cache_Reconnect_${kind}`, aliceKey);
    const old = await expectHeld(b, connector.id);

    const start = await a.call('POST', `/api/connectors/${connector.id}/reauthorize`, {}, aliceKey);
    expect(start.status).toBe(201);
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    expect((await browser.request('GET', await oidc.completeAuthorization(providerUrl))).status).toBe(200);

    const started = Date.now();
    for (;;) {
      const answer = await token(b, connector.id);
      expect(answer.status).toBe(200);
      if (answer.json.access_token !== old) break;
      if (Date.now() - started > WAIT_LIMIT_MS) throw new Error(`instance b still serves the old token after ${WAIT_LIMIT_MS} ms`);
      await sleep(10);
    }
  });

  it('a connector that turns needs_reauth at a refresh on one instance is no longer served by another', async () => {
    const connector = await connect(`Cache_Reauth_${kind}`, aliceKey);
    await expectHeld(b, connector.id);
    // The user revoked the grant at the provider: the next refresh gets invalid_grant.
    const { refreshToken } = a.app.get(ConnectorTokenStore).open(await connectors().findOneByOrFail({ id: connector.id }));
    const revoked = await fetch(oidc.revocationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken as string, token_type_hint: 'refresh_token', client_id: 'tc-client', client_secret: clientSecret }),
    });
    expect(revoked.status).toBe(200);

    // What token-refresher does (the same refresh function) when the refresh is due.
    expect((await a.app.get(TokenRefreshService).refreshConnector(connector.id, 'force')).status).toBe('needs_reauth');

    const refused = await untilAnswers(409, () => token(b, connector.id));
    expect(refused.json.error).toBe('needs_reauth');
  });

  it("a deleted user's key stops working on every instance, including one that had taken it from memory", async () => {
    const daveKey = await a.createUser('dave');
    const list = (server: RunningFlowServer) => server.call('GET', '/api/connectors', undefined, daveKey);
    expect((await list(b)).status).toBe(200);
    // b takes the key from memory: the user's row gone (unannounced), the key still works there.
    const users = a.dataSource.getRepository(UserEntity);
    const row = await users.findOneByOrFail({ name: 'dave' });
    expect(row.keyHash).toBe(hashApiKey(daveKey));
    await users.delete({ name: 'dave' });
    expect((await list(b)).status).toBe(200);
    await users.insert(row);

    // What config-loader's DELETE /api/users/dave does (same use case).
    await a.app.get(UsersService).delete('dave');

    expect((await list(a)).status).toBe(401);
    await untilAnswers(401, () => list(b));
    expect((await b.call('GET', `/api/connectors`, undefined, aliceKey)).status).toBe(200);
  });

  it("a held answer is served to its owner, the admin and the service key only: another user's key gets the same 404 as an unknown id", async () => {
    const connector = await connect(`Cache_Owner_${kind}`, aliceKey);
    // Held by b after the owner asked, then after the service key asked: both paths checked from memory.
    await expectHeld(b, connector.id, aliceKey);
    const stranger = await token(b, connector.id, bobKey);
    const unknown = await token(b, '00000000-0000-4000-8000-000000000000', bobKey);
    expect(stranger.status).toBe(404);
    expect(stranger.json.error).toBe(unknown.json.error);
    expect(stranger.text).not.toContain('access_token');
    expect((await token(b, connector.id, b.config.adminKey)).status).toBe(200);
    expect((await token(b, connector.id)).status).toBe(200);
    expect((await token(b, connector.id, bobKey)).status).toBe(404);
    expect((await token(b, connector.id, aliceKey)).status).toBe(200);
  });

  it('a held answer is never served past its expiry, however long the hold', async () => {
    const connector = await connect(`Cache_Expiry_${kind}`, aliceKey);
    // A token that expires in 9 s and is never refreshed (no next refresh time, as for a type that
    // does not refresh): nothing but its expiry ends b's 300 s hold.
    const expiresAt = Date.now() + 9000;
    await connectors().update({ id: connector.id }, { expiresAt: new Date(expiresAt).toISOString(), nextRefreshAt: null });
    const held = await expectHeld(b, connector.id);
    // From now on, the row says needs_reauth (unannounced): an answer read from it is a 409.
    await connectors().update({ id: connector.id }, { status: 'needs_reauth' });

    const answers: Array<{ status: number; token?: string; expiresAt?: string; receivedAt: number }> = [];
    for (;;) {
      const answer = await token(b, connector.id);
      answers.push({ status: answer.status, token: answer.json?.access_token, expiresAt: answer.json?.expires_at, receivedAt: Date.now() });
      if (answer.status !== 200) break;
      if (Date.now() > expiresAt + WAIT_LIMIT_MS) throw new Error('the held answer was served long past the expiry');
      await sleep(50);
    }
    for (const served of answers.filter((x) => x.status === 200)) {
      expect(served.token).toBe(held);
      expect(served.receivedAt).toBeLessThan(Date.parse(served.expiresAt as string));
    }
    expect(answers[answers.length - 1].status).toBe(409);
  });

  it('a held answer ends at its refresh time: the token API then refreshes it as before', async () => {
    const connector = await connect(`Cache_Due_${kind}`, aliceKey);
    const refreshAt = Date.now() + 4000;
    await connectors().update({ id: connector.id }, { nextRefreshAt: new Date(refreshAt).toISOString() });
    const held = await expectHeld(b, connector.id);

    let answer: ApiAnswer;
    const started = Date.now();
    do {
      await sleep(100);
      answer = await token(b, connector.id);
      expect(answer.status).toBe(200);
      if (answer.json.access_token === held) expect(Date.now()).toBeLessThan(Date.parse(answer.json.expires_at));
      if (Date.now() - started > WAIT_LIMIT_MS) throw new Error('never refreshed');
    } while (answer.json.access_token === held);
    // b refreshed it on demand once due, through the provider, and wrote it.
    expect(Date.now()).toBeGreaterThanOrEqual(refreshAt);
    const stored = await connectors().findOneByOrFail({ id: connector.id });
    expect(stored.tokenVersion).toBeGreaterThan(connector.tokenVersion);
    // One log line for the on-demand refresh's outcome, as token-refresher writes for its own.
    expect(logs.text()).toMatch(new RegExp(`on-demand refresh of connector ${connector.id}: refreshed in \\d+ ms`));
    // a reads the new row (it held nothing) and serves the same new token.
    expect((await token(a, connector.id)).json.access_token).toBe(answer.json.access_token);
  });

  it('never writes a token, a key or a client secret to the logs', () => {
    const text = logs.text();
    expect(served.length).toBeGreaterThan(0);
    for (const secret of [...new Set(served), aliceKey, bobKey, clientSecret, a.config.serviceKey, a.config.adminKey]) expect(text).not.toContain(secret);
  });
});

describe('an instance that missed the event stops serving within FLOW_CACHE_SECONDS', () => {
  it('serves a purged connector from memory at most FLOW_CACHE_SECONDS (1 s here), then reads the database again', async () => {
    const flow = await startFlowServer('sqlite', { FLOW_CACHE_SECONDS: '1' });
    try {
      await flow.loadProviders({ slack: { 'Slack-Hold': { CLIENT_ID: 'hold-client', CLIENT_SECRET: 'hold-secret' } } });
      const repo = flow.dataSource.getRepository(ConnectorEntity);
      const id = '7d1f3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
      await insertConnector(flow, id);
      const first = await flow.call('GET', `/api/connectors/${id}/token`, undefined, flow.config.serviceKey);
      expect(first.status).toBe(200);
      // A purge whose event never came (written straight to the database).
      await repo.update({ id }, { status: 'needs_reauth', accessToken: null, refreshToken: null, lastError: 'tokens purged by the administrator' });
      const stillHeld = await flow.call('GET', `/api/connectors/${id}/token`, undefined, flow.config.serviceKey);
      expect(stillHeld.status).toBe(200);
      const heldAt = Date.now();
      let answer: ApiAnswer;
      do {
        await sleep(50);
        answer = await flow.call('GET', `/api/connectors/${id}/token`, undefined, flow.config.serviceKey);
        if (Date.now() - heldAt > WAIT_LIMIT_MS) throw new Error('still served');
      } while (answer.status === 200);
      expect(answer.status).toBe(409);
    } finally {
      await flow.close();
    }
  });
});

/** A connector as the return endpoint leaves it (sealed tokens, an hour left), inserted directly. */
async function insertConnector(flow: RunningFlowServer, id: string): Promise<void> {
  const provider = await flow.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'Slack-Hold' });
  const now = new Date().toISOString();
  const tokens = { accessToken: 'xoxb-held-token', refreshToken: 'held-refresh', tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3600_000), metadata: {} };
  await flow.dataSource.getRepository(ConnectorEntity).insert({
    id,
    label: 'Slack_Hold',
    providerId: provider.id,
    type: 'slack',
    providerName: provider.name,
    owner: 'admin',
    ...flow.app.get(ConnectorTokenStore).columns(id, tokens, null),
    params: '{}',
    metadata: '{}',
    tokenVersion: 1,
    createdAt: now,
    updatedAt: now,
  });
}
