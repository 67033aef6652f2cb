import * as fs from 'node:fs';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { type OidcTestServer, startOidcTestServer } from '@flow-oauth/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * The sign-in in a real browser (Chromium, headless): what a cookie jar in a test cannot show.
 * Chromium applies the confirmation page's CSP `form-action` to the 303 that follows the form, loads
 * the stylesheet under the strict CSP, and sends the SameSite=Lax binding cookie on the provider's
 * cross-site redirect back (Flow at `localhost`, the provider at `127.0.0.1`: two sites).
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const describeWithChromium = fs.existsSync(CHROMIUM) ? describe : describe.skip;
if (!fs.existsSync(CHROMIUM)) {
  // Visible in the run: a skipped browser suite must not pass unnoticed.
  process.stderr.write(`browser-sign-in: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH); the real-browser sign-in suite is skipped.\n`);
}

describeWithChromium('the sign-in in a real browser (Chromium)', () => {
  let browser: Browser;
  let oidc: OidcTestServer;
  let flow: RunningFlowServer;
  let userKey: string;

  beforeAll(async () => {
    flow = await startFlowServer('sqlite', (port) => ({ FLOW_PUBLIC_URL: `http://localhost:${port}` }));
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'browser-client', clientSecret: 'browser-secret-4Jq0x', redirectUris: [flow.config.returnUrl], pkceRequired: true }],
    });
    await flow.loadProviders({
      odata: {
        'OIDC-Browser': {
          CLIENT_ID: 'browser-client',
          CLIENT_SECRET: 'browser-secret-4Jq0x',
          oauth2_auth_url: oidc.authorizationEndpoint,
          oauth2_token_url: oidc.tokenEndpoint,
          oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}'],
        },
      },
    });
    userKey = await flow.createUser('alice');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await flow?.close();
    await oidc?.stop();
  });

  /**
   * A page that records every CSP violation and every failed request of Flow's pages. (oidc-provider's
   * own pages ask for a web font from the internet, which is not there: not Flow's concern.)
   */
  async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    const isFlow = (url: string) => url.startsWith(flow.config.publicUrl);
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('requestfailed', (request) => {
      if (isFlow(request.url()) || isFlow(request.frame().url())) problems.push(`${request.url()}: ${request.failure()?.errorText}`);
    });
    return { page, problems };
  }

  /** The browser's cookies for Flow's sign-in pages (their cookies are scoped to /Thingworx/Oauths/oauth). */
  const flowCookies = (page: Page) => page.context().cookies(flow.config.returnUrl);

  /** Signs in at oidc-provider's own login and consent pages (a new account each time, so consent is asked). */
  async function signInAtProvider(page: Page, login: string): Promise<void> {
    await page.waitForSelector('input[name="login"]', { timeout: 10_000 });
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', 'any-password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]:not([disabled])', { timeout: 10_000 });
    await page.waitForURL((url) => !/login/i.test(url.pathname) && /\/interaction\//.test(url.pathname), { timeout: 10_000 });
    await page.click('button[type="submit"]');
  }

  it('goes from the start link through the confirmation page and the provider back to "Connector created", with no CSP violation', async () => {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Browser', label: 'Browser_1' }, userKey);
    expect(start.status).toBe(201);
    const { page, problems } = await watchedPage();
    await page.goto(start.json.authorizeUrl);
    expect(await page.textContent('#owner')).toBe('alice');
    // The stylesheet applied: the CSP let it load from 'self'.
    expect(await page.evaluate('getComputedStyle(document.body).fontFamily')).toMatch(/system-ui/);
    await page.click('button[type="submit"]');
    await signInAtProvider(page, 'browser-user-1');
    await page.waitForURL((url) => url.pathname === '/Thingworx/Oauths/oauth/return');
    expect(await page.textContent('h1')).toBe('Connector created');
    expect(problems).toEqual([]);
    expect((await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'Browser_1' })).owner).toBe('alice');
    // The binding cookie is gone once the sign-in is over.
    expect((await flowCookies(page)).map((c) => c.name)).toEqual(['flow_csrf']);
    await page.context().close();
  });

  it('the provider redirect opened in another browser is refused, and the browser that started it still finishes', async () => {
    const start = await flow.call('POST', '/api/connectors/authorizations', { type: 'odata', provider: 'OIDC-Browser', label: 'Browser_2' }, userKey);
    const first = await watchedPage();
    await first.page.goto(start.json.authorizeUrl);
    const cookies = await flowCookies(first.page);
    expect(cookies.find((c) => c.name === 'flow_csrf')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/Thingworx/Oauths/oauth' });
    // The provider sign-in is played by the test (Playwright cannot stop a redirect chain half-way),
    // so its redirect back to Flow can be opened in the other browser first.
    const authorizeRequest = new Promise<string>((resolve) => {
      first.page.on('request', (request) => {
        if (request.url().startsWith(oidc.authorizationEndpoint)) resolve(request.url());
      });
    });
    await first.page.click('button[type="submit"]');
    const returnUrl = await oidc.completeAuthorization(await authorizeRequest, { login: 'browser-user-2' });
    expect(new URL(returnUrl).searchParams.get('code')).toBeTruthy();
    const binding = (await flowCookies(first.page)).find((c) => c.name.startsWith('flow_signin_'));
    expect(binding).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/Thingworx/Oauths/oauth' });

    const other = await watchedPage();
    const refused = await other.page.goto(returnUrl);
    expect(refused?.status()).toBe(403);
    expect(await other.page.textContent('body')).toContain('Finish the sign-in in the browser where it was started');
    expect(await flow.dataSource.getRepository(ConnectorEntity).existsBy({ label: 'Browser_2' })).toBe(false);

    await first.page.goto(returnUrl);
    expect(await first.page.textContent('h1')).toBe('Connector created');
    await other.page.context().close();
    await first.page.context().close();
  });
});
