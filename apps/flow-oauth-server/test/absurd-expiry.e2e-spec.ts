import { ConnectorEntity } from '@flow-oauth/persistence';
import { HttpSession, LogCapture, openStartLink, type RecordedRequest, type RecordingHttpServer, type ScriptedResponse, startRecordingServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * A hostile token endpoint answering `expires_in` values no sane provider sends. The certified
 * oidc-provider used by the other suites cannot be made to send them (it always answers a small
 * whole number), so this provider is a node:http server scripted by the test (recording-http-server):
 * its authorize endpoint sends the browser straight back with a code, its token endpoint answers as told.
 */
const TEN_YEARS_MS = 10 * 365 * 86_400 * 1000;
const CLIENT_SECRET = 'hostile-client-secret-Qv81Zr';

describe.each(TEST_DATABASE_KINDS)('absurd expires_in from a provider on %s', (kind) => {
  let provider: RecordingHttpServer;
  let flow: RunningFlowServer;
  let userKey: string;
  let tokenAnswer: () => Record<string, unknown>;
  let issued = 0;
  const logs = new LogCapture();

  beforeAll(async () => {
    provider = await startRecordingServer((request: RecordedRequest): ScriptedResponse => {
      const url = new URL(request.url, 'http://provider');
      if (url.pathname === '/authorize') {
        const back = new URL(url.searchParams.get('redirect_uri') as string);
        back.searchParams.set('code', `code-${++issued}`);
        back.searchParams.set('state', url.searchParams.get('state') as string);
        return { status: 302, headers: { location: back.toString() }, body: '' };
      }
      if (url.pathname === '/token') return { body: { access_token: `hostile-at-${++issued}-Kw`, refresh_token: `hostile-rt-${issued}-Kw`, token_type: 'Bearer', ...tokenAnswer() } };
      return { status: 404, body: { error: 'not_found' } };
    });
    flow = await startFlowServer(kind);
    await flow.loadProviders({
      odata: {
        Hostile: { CLIENT_ID: 'hostile-client', CLIENT_SECRET, oauth2_auth_url: `${provider.url}/authorize`, oauth2_token_url: `${provider.url}/token`, oauth2_pkce: false },
      },
    });
    userKey = await flow.createUser('alice');
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    await flow?.close();
    await provider?.stop();
  });

  /** The browser's way through: the start link (its confirmation page), the provider's redirect back, the return page. */
  async function signIn(label: string) {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'Hostile', label }, userKey);
    expect(start.status).toBe(201);
    const browser = new HttpSession();
    const passage = await openStartLink(browser, start.json.authorizeUrl);
    let answer = await browser.request('GET', passage.providerUrl);
    for (let hops = 0; answer.status >= 300 && answer.status < 400 && hops < 5; hops++) {
      answer = await browser.request('GET', new URL(answer.headers.location as string, answer.url).toString());
    }
    return answer;
  }

  const stored = (label: string) => flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label });

  /** Makes a connector due for refresh, so the token API refreshes it first. */
  async function makeDue(id: string): Promise<void> {
    await flow.updateConnector(id, {
      expiresAt: new Date(Date.now() + 10_000).toISOString(),
      updatedAt: new Date(Date.now() - 3590_000).toISOString(),
      nextRefreshAt: new Date(Date.now() - 1000).toISOString(),
    });
  }

  it('expires_in: 1e20 at the code exchange: the sign-in succeeds and the expiry is clamped to 10 years', async () => {
    tokenAnswer = () => ({ expires_in: 1e20 });
    const before = Date.now();
    const page = await signIn('Huge_1');
    const after = Date.now();
    expect(page.status).toBe(200);
    expect(page.body).toContain('Huge_1');
    const connector = await stored('Huge_1');
    const expiresAt = Date.parse(connector.expiresAt as string);
    expect(expiresAt).toBeGreaterThanOrEqual(before + TEN_YEARS_MS);
    expect(expiresAt).toBeLessThanOrEqual(after + TEN_YEARS_MS);
    expect((await flow.call('GET', `/api/connectors/${connector.id}`, undefined, userKey)).json.expiresAt).toBe(connector.expiresAt);
  });

  it('expires_in: 1e20 at a refresh: the token API refresh succeeds and the expiry is clamped to 10 years', async () => {
    tokenAnswer = () => ({ expires_in: 3600 });
    expect((await signIn('Huge_2')).status).toBe(200);
    const connector = await stored('Huge_2');
    await makeDue(connector.id);
    tokenAnswer = () => ({ expires_in: 1e20 });
    const grants = provider.requests.filter((r) => r.form.get('grant_type') === 'refresh_token').length;
    const before = Date.now();
    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    const after = Date.now();
    expect(token.status).toBe(200);
    expect(provider.requests.filter((r) => r.form.get('grant_type') === 'refresh_token').length).toBe(grants + 1);
    expect(token.json.access_token).not.toBe(connector.accessToken);
    const expiresAt = Date.parse(token.json.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + TEN_YEARS_MS);
    expect(expiresAt).toBeLessThanOrEqual(after + TEN_YEARS_MS);
    expect((await stored('Huge_2')).expiresAt).toBe(token.json.expires_at);
  });

  it('expires_in that is not a number: the sign-in and a refresh succeed, with an unknown expiry', async () => {
    tokenAnswer = () => ({ expires_in: 'a while' });
    const page = await signIn('Words_1');
    expect(page.status).toBe(200);
    expect((await stored('Words_1')).expiresAt).toBeNull();

    tokenAnswer = () => ({ expires_in: 3600 });
    expect((await signIn('Words_2')).status).toBe(200);
    const connector = await stored('Words_2');
    await makeDue(connector.id);
    tokenAnswer = () => ({ expires_in: { seconds: 3600 } });
    const token = await flow.call('GET', `/api/connectors/${connector.id}/token`, undefined, flow.config.serviceKey);
    expect(token.status).toBe(200);
    expect((await stored('Words_2')).tokenVersion).toBe(connector.tokenVersion + 1);
    expect((await stored('Words_2')).expiresAt).toBeNull();
  });

  it('no token or the client secret appears in a log line', () => {
    const text = logs.text();
    for (let i = 1; i <= issued; i++) {
      expect(text).not.toContain(`hostile-at-${i}-Kw`);
      expect(text).not.toContain(`hostile-rt-${i}-Kw`);
    }
    expect(text).not.toContain(CLIENT_SECRET);
  });
});
