import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { HttpSession, LogCapture, type OAuth1TestServer, openStartLink, readForm, startOAuth1TestServer } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * The trello-style three-legged OAuth 1.0a flow end to end through flow-oauth-server's HTTP API: a
 * generic (odata) provider with `"oauth_type": "OAuth1"` points at an OAuth 1.0a server on loopback
 * that verifies every signature with the independent `oauth-1.0a` npm library (not our signing code).
 *
 * The built-in trello definition is not driven here: its endpoints are fixed trello.com URLs, and its
 * authorize URL (name, scope=read,write, expiration=never) only exists after a request token from
 * trello.com. libs/oauth-client's oauth1-flow e2e runs that definition with its endpoints moved.
 */
describe('flow-oauth-server OAuth 1.0a flow against a signature-verifying server', () => {
  let oauth1: OAuth1TestServer;
  let flow: RunningFlowServer;
  let userKey: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    flow = await startFlowServer('sqlite');
    oauth1 = await startOAuth1TestServer();
    await flow.loadProviders({
      odata: {
        // Trello's shape: consumer key/secret under their OAuth 1.0a names, endpoints partly relative to base_url.
        'OData-1a': {
          oauth_type: 'OAuth1',
          CONSUMER_KEY: oauth1.consumerKey,
          CONSUMER_SECRET: oauth1.consumerSecret,
          base_url: oauth1.url,
          oauth1_request_token_url: '/1/OAuthGetRequestToken',
          oauth1_authorize_url: oauth1.authorizeUrl,
          oauth1_access_token_url: '/1/OAuthGetAccessToken',
          oauth1_revoke_url: '/1/tokens/{token}?key={consumer_key}&token={token}',
          oauth1_auth_query: ['{"name":"Flow OAuth"}', '{"scope":"{scope}"}', '{"expiration":"never"}'],
          oauth2_params_scope: ['{"read":"Read your boards"}', '{"write":"Change your boards"}'],
          oauth2_scope_separator: ',',
          VALIDATE_URL: `${oauth1.memberUrl}?fields=id,username`,
        },
      },
      swagger: {
        // CLIENT_ID / CLIENT_SECRET spelling, absolute endpoints, a per-connection value, no revoke URL.
        'Swagger-1a': {
          oauth_type: 'OAuth1',
          CLIENT_ID: oauth1.consumerKey,
          CLIENT_SECRET: oauth1.consumerSecret,
          oauth1_request_token_url: oauth1.requestTokenUrl,
          oauth1_authorize_url: oauth1.authorizeUrl,
          oauth1_access_token_url: oauth1.accessTokenUrl,
          oauth1_auth_query: ['{"scope":"{scope}"}', '{"board":"{board}"}'],
          oauth2_params_scope: ['{"read":"Read"}', '{"write":"Write"}'],
          oauth2_scope_separator: ',',
          oauth2_required: [{ id: 'board', title: 'Board', pattern: '^[a-z0-9]{1,24}$' }],
          oauth2_validate_url: oauth1.memberUrl,
        },
      },
    });
    userKey = await flow.createUser('alice');
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    await flow?.close();
    await oauth1?.stop();
  });

  afterEach(() => {
    // Every request Flow OAuth signed, in every test, passed the independent verifier.
    expect(oauth1.rejectedSignatures).toBe(0);
  });

  const count = () => flow.dataSource.getRepository(ConnectorEntity).count();
  const lastAuthorizeQuery = () => oauth1.authorizeQueries[oauth1.authorizeQueries.length - 1];

  /**
   * Starts a sign-in through the API, opens its start link in a browser (confirmation page submitted),
   * and plays the user approving at the server: the callback URL to our return endpoint, for that browser.
   */
  async function approve(body: Record<string, unknown>, browser = new HttpSession()): Promise<{ authorizeUrl: URL; callback: URL; browser: HttpSession; returnPage: () => Promise<{ status: number; body: string }> }> {
    const start = await flow.call('POST', '/api/connectors/authorizations', body, userKey);
    expect(start.status).toBe(201);
    expect(new URL(start.json.authorizeUrl).pathname).toBe('/Thingworx/Oauths/oauth/start');
    const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl);
    const authorizeUrl = new URL(providerUrl);
    expect(start.json.state).toBe(authorizeUrl.searchParams.get('oauth_token'));
    const callback = new URL(await oauth1.approve(providerUrl));
    expect(`${callback.origin}${callback.pathname}`).toBe(flow.config.returnUrl);
    expect(callback.pathname).toBe('/Thingworx/Oauths/oauth/return');
    return { authorizeUrl, callback, browser, returnPage: () => browser.request('GET', callback.toString()) };
  }

  it('loads the provider as OAuth1, its consumer secret sealed and redacted', async () => {
    const providers = await flow.call('GET', '/api/providers', undefined, userKey);
    expect(providers.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'odata', provider: 'OData-1a', protocol: 'OAuth1' }),
        expect.objectContaining({ type: 'swagger', provider: 'Swagger-1a', protocol: 'OAuth1', params: [expect.objectContaining({ id: 'board' })] }),
      ]),
    );
    expect(providers.text).not.toContain(oauth1.consumerSecret);
    const redacted = await (await flow.providerSettings()).readRedacted();
    expect(redacted['odata']?.['OData-1a']).toMatchObject({ CLIENT_ID: oauth1.consumerKey, CLIENT_SECRET: '********', oauth_type: 'OAuth1' });
    expect(JSON.stringify(redacted)).not.toContain(oauth1.consumerSecret);
    const rows = await flow.dataSource.getRepository(ProviderEntity).find();
    expect(JSON.stringify(rows)).not.toContain(oauth1.consumerSecret);
  });

  it('signs in through request token, authorize and access token; serves, validates and revokes the token', async () => {
    const label = 'Board_1a';
    const { authorizeUrl, callback, returnPage } = await approve({ type: 'odata', provider: 'OData-1a', label });
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(oauth1.authorizeUrl);
    const query = lastAuthorizeQuery();
    expect([query.get('name'), query.get('scope'), query.get('expiration')]).toEqual(['Flow OAuth', 'read,write', 'never']);
    expect(callback.searchParams.get('oauth_token')).toBe(authorizeUrl.searchParams.get('oauth_token'));
    expect(callback.searchParams.get('oauth_verifier')).toMatch(/^[0-9a-f]{24}$/);

    const page = await returnPage();
    const html = page.body;
    expect(page.status).toBe(200);
    expect(html).toContain('Connector created');
    expect(html).toContain(label);

    const list = await flow.call('GET', '/api/connectors', undefined, userKey);
    const connector = list.json.find((x: { label: string }) => x.label === label);
    expect(connector).toMatchObject({ label, type: 'odata', provider: 'OData-1a', owner: 'alice', status: 'active', expiresAt: null, metadata: { member_id: 'test-member' } });
    expect(JSON.stringify(list.json)).not.toMatch(/access_token|oauth_token_secret/);
    // OAuth 1.0a tokens do not expire: no refresh time.
    // OAuth 1.0a tokens never expire here: no refresh is scheduled.
    expect((await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id: connector.id })).nextRefreshAt).toBeNull();

    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(token.status).toBe(200);
    expect(token.json).toEqual({ member_id: 'test-member', access_token: expect.stringMatching(/^[0-9a-f]{48}$/), oauth_token_secret: expect.stringMatching(/^[0-9a-f]{48}$/), token_type: 'OAuth1', expires_at: null });
    expect(oauth1.isAccessTokenActive(token.json.access_token)).toBe(true);
    // Stored sealed, never as the plain token or secret.
    const row = await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id: connector.id });
    expect(JSON.stringify(row)).not.toContain(token.json.access_token);
    expect(JSON.stringify(row)).not.toContain(token.json.oauth_token_secret);

    // A call to the protected resource signed with the token credentials (the server checks the signature).
    const validated = await flow.call('POST', `/api/connectors/${connector.id}/validate`, undefined, userKey);
    expect(validated.status).toBe(200);
    expect(validated.json).toMatchObject({ valid: true, status: 200 });

    const deleted = await flow.call('DELETE', `/api/connectors/${connector.id}`, undefined, userKey);
    expect(deleted.status).toBe(204);
    expect(oauth1.isAccessTokenActive(token.json.access_token)).toBe(false);
    expect((await flow.call('GET', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(404);

    for (const secret of [oauth1.consumerSecret, token.json.access_token, token.json.oauth_token_secret]) expect(logs.text()).not.toContain(secret);
  });

  it('passes the chosen scopes and per-connection values to the request-token and authorize legs (CLIENT_ID spelling)', async () => {
    const { returnPage } = await approve({ type: 'swagger', provider: 'Swagger-1a', label: 'Swagger_1a', scopes: ['read'], params: { board: 'team42' } });
    const query = lastAuthorizeQuery();
    expect([query.get('scope'), query.get('board')]).toEqual(['read', 'team42']);
    expect((await returnPage()).status).toBe(200);
    const connector = await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'Swagger_1a' });
    expect(JSON.parse(connector.params)).toEqual({ board: 'team42' });
    expect((await flow.call('POST', `/api/connectors/${connector.id}/validate`, undefined, userKey)).json).toMatchObject({ valid: true });
    // No revoke URL: deleting forgets the token, which stays valid at the provider.
    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, userKey);
    expect((await flow.call('DELETE', `/api/connectors/${connector.id}`, undefined, userKey)).status).toBe(204);
    expect(oauth1.isAccessTokenActive(token.json.access_token)).toBe(true);
  });

  describe('refused with a clear error and nothing stored', () => {
    it('a replayed callback is refused and creates no second connector', async () => {
      const { returnPage } = await approve({ type: 'odata', provider: 'OData-1a', label: 'Replay_1a' });
      expect((await returnPage()).status).toBe(200);
      const n = await count();
      const again = await returnPage();
      expect(again.status).toBe(400);
      expect(again.body).toContain('expired or was already used');
      expect(await count()).toBe(n);
    });

    it('the callback brought back by another client (no binding cookie) is refused: no access-token request, no connector; the right browser then finishes', async () => {
      const { callback, returnPage } = await approve({ type: 'odata', provider: 'OData-1a', label: 'Swap_1a' });
      const exchangesBefore = oauth1.accessTokenRequests;
      const refused = await new HttpSession().request('GET', callback.toString());
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('Finish the sign-in in the browser where it was started');
      expect(oauth1.accessTokenRequests).toBe(exchangesBefore);
      expect(await flow.dataSource.getRepository(ConnectorEntity).existsBy({ label: 'Swap_1a' })).toBe(false);
      expect((await returnPage()).status).toBe(200);
      expect(oauth1.accessTokenRequests).toBe(exchangesBefore + 1);
      expect(await flow.dataSource.getRepository(ConnectorEntity).existsBy({ label: 'Swap_1a' })).toBe(true);
    });

    it('a start link opened a second time is refused; two OAuth 1.0a sign-ins in parallel in one browser both work', async () => {
      const browser = new HttpSession();
      const starts = await Promise.all(
        ['Par_1a', 'Par_2a'].map(async (label) => (await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OData-1a', label }, userKey)).json),
      );
      const pages = [await browser.request('GET', starts[0].authorizeUrl), await browser.request('GET', starts[1].authorizeUrl)];
      const providerUrls: string[] = [];
      for (const page of pages) {
        const form = readForm(page.body);
        const sent = await browser.request('POST', new URL(form?.action ?? '', page.url).toString(), form?.hidden);
        expect(sent.status).toBe(303);
        providerUrls.push(sent.headers.location as string);
      }
      expect((await browser.request('GET', starts[0].authorizeUrl)).status).toBe(404);
      const callbacks = [await oauth1.approve(providerUrls[0]), await oauth1.approve(providerUrls[1])];
      expect((await browser.request('GET', callbacks[1])).status).toBe(200);
      expect((await browser.request('GET', callbacks[0])).status).toBe(200);
      expect(await flow.dataSource.getRepository(ConnectorEntity).countBy([{ label: 'Par_1a' }, { label: 'Par_2a' }])).toBe(2);
    });

    it('a callback with a wrong verifier gives an error page; the request token is then spent', async () => {
      const { callback, browser, returnPage } = await approve({ type: 'odata', provider: 'OData-1a', label: 'Wrong_1a' });
      const wrong = new URL(callback);
      wrong.searchParams.set('oauth_verifier', 'not-the-verifier');
      const n = await count();
      const res = await browser.request('GET', wrong.toString());
      const html = res.body;
      expect(res.status).toBe(502);
      expect(html).toContain('Sign-in failed');
      expect(html).toContain('invalid_grant');
      expect(html).not.toContain('not-the-verifier');
      expect(await count()).toBe(n);
      expect(await flow.dataSource.getRepository(ConnectorEntity).existsBy({ label: 'Wrong_1a' })).toBe(false);
      // The state was single-use: the genuine callback cannot finish it either, and the label is still free.
      expect((await returnPage()).status).toBe(400);
      expect(await count()).toBe(n);
      expect((await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OData-1a', label: 'Wrong_1a' }, userKey)).status).toBe(201);
    });

    it('a callback without a verifier, or with an unknown request token, is refused', async () => {
      const { callback, browser } = await approve({ type: 'odata', provider: 'OData-1a', label: 'NoVerifier_1a' });
      const n = await count();
      const without = new URL(callback);
      without.searchParams.delete('oauth_verifier');
      const res = await browser.request('GET', without.toString());
      expect(res.status).toBe(400);
      expect(res.body).toContain('missing_verifier');
      const unknown = new URL(callback);
      unknown.searchParams.set('oauth_token', 'f'.repeat(32));
      expect((await browser.request('GET', unknown.toString())).status).toBe(400);
      expect(await count()).toBe(n);
    });
  });
});
