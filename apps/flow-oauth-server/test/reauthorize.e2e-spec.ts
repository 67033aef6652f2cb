import { ConnectorEntity } from '@flow-oauth/persistence';
import { HttpSession, LogCapture, type OidcTestServer, openStartLink, startOidcTestServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer, untilAnswers } from './flow-oauth-server.harness';

/**
 * Reconnect (`POST /api/connectors/:id/reauthorize`): a connector whose tokens were purged signs in
 * again at the real oidc-provider and keeps its id, label and owner; the new tokens replace the old
 * in one write (token version bumped) and its refresh is scheduled. Refused (nothing stored, the new
 * tokens revoked) when the connector was deleted or its provider changed during the sign-in.
 */
const SECRET = 'reauth-secret-Zt81QmW3';

describe.each(TEST_DATABASE_KINDS)('reconnect a connector (same id and label) on %s', (kind) => {
  let oidc: OidcTestServer;
  let flow: RunningFlowServer;
  let aliceKey: string;
  let malloryKey: string;
  const logs = new LogCapture();
  const tokensSeen = new Set<string>();

  const provider = (extra: Record<string, unknown> = {}) => ({
    odata: {
      'OIDC-Reauth': {
        CLIENT_ID: 'reauth-client',
        CLIENT_SECRET: SECRET,
        oauth2_auth_url: oidc.authorizationEndpoint,
        oauth2_token_url: oidc.tokenEndpoint,
        oauth2_validate_url: oidc.userinfoEndpoint,
        oauth2_revoke_url: oidc.revocationEndpoint,
        oauth2_revoke_method: 'post_form_client_auth',
        oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}', '{"api:read":"Read"}'],
        ...extra,
      },
    },
  });

  beforeAll(async () => {
    flow = await startFlowServer(kind);
    oidc = await startOidcTestServer({ clients: [{ clientId: 'reauth-client', clientSecret: SECRET, redirectUris: [flow.config.returnUrl] }], extraScopes: ['api:read'] });
    await flow.loadProviders(provider());
    aliceKey = await flow.createUser('alice');
    malloryKey = await flow.createUser('mallory');
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    await flow?.close();
    await oidc?.stop();
  });

  const byId = (id: string) => flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id });

  /** Opens a start link in a fresh browser, signs in at the provider, and opens the return page. */
  async function finish(authorizeUrl: string, login: string) {
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, authorizeUrl);
    const back = await oidc.completeAuthorization(providerUrl, { login });
    return browser.request('GET', back);
  }

  async function create(label: string): Promise<string> {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Reauth', label, scopes: ['openid', 'offline_access', 'api:read'] }, aliceKey);
    expect((await finish(start.json.authorizeUrl, `${label}-user`)).status).toBe(200);
    return (await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label })).id;
  }

  const token = async (id: string) => {
    const answer = await flow.call('GET', `/api/connectors/${id}/token`, undefined, flow.config.serviceKey);
    if (answer.json?.access_token) tokensSeen.add(answer.json.access_token);
    return answer;
  };

  it('a purged connector signs in again: same id, label and owner, new tokens, version bumped, refresh scheduled, the token API answers again', async () => {
    const id = await create('Reauth_1');
    const before = await byId(id);
    const oldToken = (await token(id)).json.access_token;
    await (await flow.providerSettings()).purgeTokens('odata', 'OIDC-Reauth');
    expect(await byId(id)).toMatchObject({ status: 'needs_reauth', accessToken: null, lastError: 'tokens purged by the administrator' });
    // The purge's connector.needs_reauth event drops the answer this instance holds.
    expect((await untilAnswers(409, () => token(id))).json.error).toBe('needs_reauth');

    const start = await flow.call('POST', `/api/connectors/${id}/reauthorize`, undefined, aliceKey);
    expect(start.status).toBe(201);
    expect(Object.keys(start.json).sort()).toEqual(['authorizeUrl', 'expiresAt', 'state']);
    // The scopes asked for are the connector's own.
    const { providerUrl } = await openStartLink(new HttpSession(), (await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, aliceKey)).json.authorizeUrl);
    expect(new URL(providerUrl).searchParams.get('scope')).toBe('openid offline_access api:read');

    const page = await finish(start.json.authorizeUrl, 'Reauth_1-user');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Connector reconnected');
    expect(page.body).toContain('keeps its id and label');
    const after = await byId(id);
    expect(after).toMatchObject({ id, label: 'Reauth_1', owner: 'alice', status: 'active', lastError: null, createdAt: before.createdAt, providerId: before.providerId });
    expect(after.tokenVersion).toBeGreaterThan(before.tokenVersion + 1);
    expect(after.accessToken).not.toBeNull();
    expect(await flow.dataSource.getRepository(ConnectorEntity).countBy({ label: 'Reauth_1' })).toBe(1);
    const fresh = await token(id);
    expect(fresh.status).toBe(200);
    expect(fresh.json.access_token).not.toBe(oldToken);
    expect((await oidc.introspect(fresh.json.access_token, { clientId: 'reauth-client', clientSecret: SECRET })).active).toBe(true);
    // Its next refresh time comes with the new tokens, and no failed attempt of the old grant is carried over.
    expect(Date.parse(after.nextRefreshAt as string)).toBeGreaterThan(Date.now());
    expect(after).toMatchObject({ refreshAttempts: 0, refreshRetryAt: null });
  });

  it('an active connector may sign in again too; the old tokens are replaced', async () => {
    const id = await create('Reauth_2');
    const old = (await token(id)).json.access_token;
    const start = await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, aliceKey);
    expect((await finish(start.json.authorizeUrl, 'Reauth_2-other')).status).toBe(200);
    expect((await token(id)).json.access_token).not.toBe(old);
  });

  it('a refresh_failed connector signed in again starts with no failed attempt and no retry wait', async () => {
    const id = await create('Reauth_Failed');
    // As background refresh leaves it after an hour of provider failures.
    await flow.dataSource.getRepository(ConnectorEntity).update({ id }, { status: 'refresh_failed', refreshAttempts: 8, refreshRetryAt: new Date(Date.now() + 3_600_000).toISOString(), lastError: 'transient (HTTP 503): refresh failed' });
    const start = await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, aliceKey);
    expect((await finish(start.json.authorizeUrl, 'Reauth_Failed-user')).status).toBe(200);
    expect(await byId(id)).toMatchObject({ status: 'active', lastError: null, refreshAttempts: 0, refreshRetryAt: null });
  });

  it("another user's connector, an unknown id, bad scopes or a foreign redirectUrl are refused and start nothing", async () => {
    const id = await create('Reauth_3');
    const before = await byId(id);
    expect((await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, malloryKey)).status).toBe(404);
    expect((await flow.call('POST', '/api/connectors/00000000-0000-4000-8000-000000000000/reauthorize', {}, aliceKey)).status).toBe(404);
    const badScopes = await flow.call('POST', `/api/connectors/${id}/reauthorize`, { scopes: 'openid' }, aliceKey);
    expect(badScopes.status).toBe(400);
    expect(badScopes.json).toMatchObject({ error: 'invalid_request', message: 'scopes must be an array of scope strings.', problems: [{ path: '/scopes', message: 'scopes must be an array of scope strings' }] });
    const foreign = await flow.call('POST', `/api/connectors/${id}/reauthorize`, { redirectUrl: 'https://evil.example.net/' }, aliceKey);
    expect(foreign.status).toBe(400);
    expect((await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, flow.config.serviceKey)).status).toBe(403);
    expect(await byId(id)).toEqual(before);
  });

  it('the connector deleted during the sign-in: the return stores nothing and revokes the new tokens', async () => {
    const id = await create('Reauth_4');
    const start = await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, aliceKey);
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    const back = await oidc.completeAuthorization(providerUrl, { login: 'Reauth_4-user' });
    expect((await flow.call('DELETE', `/api/connectors/${id}`, undefined, aliceKey)).status).toBe(204);
    const revocations = async () => (await oidc.tokenRequests()).filter((r) => r.endpoint === 'revocation' && r.status === 200).length;
    const revokedBefore = await revocations();
    const page = await browser.request('GET', back);
    expect(page.status).toBe(409);
    expect(page.body).toContain('connector_not_found');
    expect(await flow.dataSource.getRepository(ConnectorEntity).existsBy({ id })).toBe(false);
    // The tokens the provider issued for the refused sign-in were revoked there (access and refresh token).
    expect(await revocations()).toBeGreaterThan(revokedBefore);
  });

  it('the provider changed during the sign-in (beyond its secret): nothing is stored, the connector keeps its state', async () => {
    const id = await create('Reauth_5');
    await (await flow.providerSettings()).purgeTokens('odata', 'OIDC-Reauth', 'alice');
    const before = await byId(id);
    const start = await flow.call('POST', `/api/connectors/${id}/reauthorize`, {}, aliceKey);
    const browser = new HttpSession();
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    const back = await oidc.completeAuthorization(providerUrl, { login: 'Reauth_5-user' });
    // An in-use provider may only have its secret changed through a load; the settings change is made in the database, as a concurrent writer would.
    await flow.dataSource.query(`UPDATE providers SET fingerprint = 'changed-meanwhile' WHERE name = 'OIDC-Reauth'`);
    const page = await browser.request('GET', back);
    expect(page.status).toBe(409);
    expect(page.body).toContain('provider_changed');
    expect(await byId(id)).toEqual(before);
  });

  it('no token, key or client secret reached a log line', () => {
    expect(tokensSeen.size).toBeGreaterThan(0);
    const text = logs.text();
    expect(text).toContain('signed in again');
    for (const secret of [SECRET, aliceKey, malloryKey, ...tokensSeen]) expect(text).not.toContain(secret);
  });
});
