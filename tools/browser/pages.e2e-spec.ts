import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectorEntity, ProviderEntity, UserEntity } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { callApi, type OidcTestServer, startOidcTestServer } from '@flow-oauth/testing';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Deployment, startDeployment } from './deployment-rig';

/**
 * The connectors page and the admin page in a real browser (Debian's Chromium, headless, driven by
 * playwright-core), against config-loader and flow-oauth-server as built (child processes on one
 * SQLite database and a private Redis prefix) and a real OAuth server (oidc-provider on loopback,
 * its own sign-in and consent pages). One story, step by step, a screenshot of each kept under
 * tmp/screenshots/pages/: the admin loads a file through the page (plan, then apply) and issues a
 * key; the user adds a connector through the provider and lands on the list with it highlighted,
 * validates it; the admin purges the provider's tokens and the user sees the warning, reconnects
 * (same id and label) and deletes it. Bad input along the way shows the API's own errors and changes
 * nothing in the database. Throughout: no CSP violation, the user key in no URL, and no client secret
 * or token in anything the admin's browser received.
 *
 * FLOW_UPDATE_DOCS_SCREENSHOTS=1 also writes the README's two screenshots (docs/*.png).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'tmp', 'screenshots', 'pages');
const UPDATE_DOCS = process.env['FLOW_UPDATE_DOCS_SCREENSHOTS'] === '1';
const describeWithChromium = fs.existsSync(CHROMIUM) ? describe : describe.skip;
if (!fs.existsSync(CHROMIUM)) {
  // Visible in the run: a skipped browser suite must not pass unnoticed.
  process.stderr.write(`pages: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install -y chromium); the browser suite of the pages is skipped.\n`);
}

const CLIENT_SECRET = 'pages-client-secret-Vq42xLm9';
const RETURN_PATH = '/Thingworx/Oauths/oauth/return';

/** A browser context with everything the checks need: CSP violations, failed Flow requests, every URL, every Flow answer. */
interface Watched {
  context: BrowserContext;
  page: Page;
  problems: string[];
  urls: string[];
  answers: Array<Promise<string>>;
}

describeWithChromium('the connectors and admin pages in a real browser (Chromium)', () => {
  let browser: Browser;
  let oidc: OidcTestServer;
  let flow: Deployment;
  let admin: Watched;
  let user: Watched;
  let userKey = '';
  let connectorId = '';
  let tokenVersionBeforeReconnect = 0;
  const tokens = new Set<string>();
  let shot = 0;

  /** The configuration file the admin loads, as an operator writes it. */
  const configuration = (secret = CLIENT_SECRET, extra: Record<string, unknown> = {}) =>
    JSON.stringify(
      {
        odata: {
          'OIDC-Pages': {
            CLIENT_ID: 'pages-client',
            CLIENT_SECRET: secret,
            base_url: `${oidc.issuer}/{tenant}`,
            oauth2_auth_url: '/auth',
            oauth2_token_url: '/token',
            oauth2_validate_url: '/me',
            oauth2_revoke_url: '/token/revocation',
            oauth2_revoke_method: 'post_form_client_auth',
            oauth2_params_scope: ['{"openid":"OpenID"}', '{"api:read":"Read the API"}'],
            oauth2_required: [{ id: 'tenant', title: 'Tenant', description: 'your directory at the provider', default: 'contoso' }],
            ...extra,
          },
        },
      },
      null,
      2,
    );

  beforeAll(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    flow = await startDeployment();
    oidc = await startOidcTestServer({
      clients: [{ clientId: 'pages-client', clientSecret: CLIENT_SECRET, redirectUris: [`${flow.publicUrl}${RETURN_PATH}`], rotateRefreshToken: true }],
      extraScopes: ['api:read'],
      routes: { authorization: '/contoso/auth', token: '/contoso/token', userinfo: '/contoso/me', revocation: '/contoso/token/revocation' },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    admin = await watched();
    user = await watched();
  });

  afterAll(async () => {
    await browser?.close();
    await oidc?.stop();
    await flow?.stop();
    if (fs.existsSync(SHOTS)) process.stdout.write(`pages: screenshots of each step in ${SHOTS}\n`);
  });

  async function watched(): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const w: Watched = { context, page, problems: [], urls: [], answers: [] };
    const isFlow = (url: string) => url.startsWith(flow.publicUrl);
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()) && (isFlow(message.location().url) || isFlow(page.url()))) w.problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => w.problems.push(`${page.url()}: ${error.message}`));
    context.on('request', (request) => {
      w.urls.push(request.url());
    });
    context.on('requestfailed', (request) => {
      if (isFlow(request.url())) w.problems.push(`${request.url()}: ${request.failure()?.errorText}`);
    });
    context.on('response', (response) => {
      if (!isFlow(response.url())) return;
      w.answers.push(
        (async () => {
          const headers = JSON.stringify(await response.allHeaders());
          const body = response.status() >= 300 && response.status() < 400 ? '' : (await response.body().catch(() => Buffer.alloc(0))).toString('utf8');
          return `${response.url()}\n${headers}\n${body}`;
        })(),
      );
    });
    return w;
  }

  /** A numbered screenshot of the step, kept as a test artifact. */
  async function screenshot(w: Watched, name: string, docs?: string): Promise<void> {
    shot += 1;
    await w.page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
    if (docs && UPDATE_DOCS) await w.page.screenshot({ path: path.join(ROOT, 'docs', docs) });
  }

  /** Every row of the tables a refused request must leave alone. */
  async function snapshot(): Promise<string> {
    const parts: string[] = [];
    for (const table of ['providers', 'connectors', 'users']) {
      const rows = (await flow.dataSource.query(`SELECT * FROM ${table}`)) as object[];
      parts.push(`${table}:${JSON.stringify(rows.map((r) => JSON.stringify(r)).sort())}`);
    }
    return parts.join('\n');
  }

  const api = (base: string, method: string, route: string, key: string | null, body?: unknown) => callApi(base, method, route, { key, body });
  /** The text of an element as the browser lays it out, white space collapsed. */
  const text = async (w: Watched, selector: string) => (await w.page.innerText(selector)).replace(/\s+/g, ' ').trim();

  /** Every visible form control of the page that has no <label> (none should). */
  const unlabelled = (w: Watched): Promise<string[]> =>
    w.page.$$eval('input:not([type="hidden"]), select, textarea', (controls: any[]) => controls.filter((c) => !c.labels || c.labels.length === 0).map((c) => String(c.name || c.id)));

  /** Remembers the connector's tokens (opened from the database with the deployment's key) for the searches at the end. */
  async function rememberTokens(id: string): Promise<void> {
    const row = await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id });
    const opened = new ConnectorTokenStore(new SecretBox(flow.encryptionKey), { refreshMarginSeconds: 300 }).open(row);
    for (const t of [opened.accessToken, opened.refreshToken]) if (t) tokens.add(t);
  }

  /** Signs in at oidc-provider's own pages (login, then consent) until it sends the browser back to Flow's return page. */
  async function throughProvider(page: Page, login: string): Promise<void> {
    for (let step = 0; step < 6; step++) {
      await page.waitForURL((url) => url.pathname === RETURN_PATH || url.pathname.includes('/interaction/'), { timeout: 15_000 }).catch(async (error: Error) => {
        throw new Error(`${error.message}\nat ${page.url()}: ${(await page.innerText('body').catch(() => '')).slice(0, 500)}`);
      });
      if (new URL(page.url()).pathname === RETURN_PATH) return;
      await page.waitForSelector('button[type="submit"]:not([disabled])', { timeout: 10_000 });
      if ((await page.locator('input[name="login"]').count()) > 0) {
        await page.fill('input[name="login"]', login);
        await page.fill('input[name="password"]', 'any-password');
      }
      const before = page.url();
      await page.click('button[type="submit"]');
      await page.waitForURL((url) => url.toString() !== before, { timeout: 15_000 });
    }
    throw new Error(`the provider did not send the browser back (at ${page.url()})`);
  }

  it('the admin signs in on /admin: a wrong key gets the API’s error (and is counted), the admin key the page', async () => {
    const { page } = admin;
    expect((await page.goto(`${flow.publicUrl}/admin`))?.status()).toBe(200);
    expect(await page.textContent('h1')).toBe('Flow OAuth administration');
    await page.fill('#key', 'not-the-admin-key');
    await page.click('#sign-in button[type="submit"]');
    const viaApi = await api(flow.configLoaderUrl, 'GET', '/api/users', 'not-the-admin-key');
    expect(await text(admin, '#problem')).toContain(viaApi.json.message);
    expect(await text(admin, '#problem')).toContain(viaApi.json.error);
    await screenshot(admin, 'admin-wrong-key');
    await page.fill('#key', flow.adminKey);
    await page.click('#sign-in button[type="submit"]');
    await page.waitForURL(`${flow.publicUrl}/admin`);
    expect(await text(admin, '#signed-in-as')).toBe('the administrator');
    expect(await unlabelled(admin)).toEqual([]);
    const session = (await admin.context.cookies(flow.publicUrl)).find((c) => c.name === 'flow_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    // The stylesheet applied under the strict CSP.
    expect(await page.evaluate('getComputedStyle(document.body).maxWidth')).toBe(`${72 * 16}px`);
    await screenshot(admin, 'admin-signed-in');
  });

  it('config-loader’s /admin sends the browser to the admin page', async () => {
    const answer = await fetch(`${flow.configLoaderUrl}/admin`, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(`${flow.publicUrl}/admin`);
  });

  it('the admin downloads the template', async () => {
    const [download] = await Promise.all([admin.page.waitForEvent('download'), admin.page.click('#download-template')]);
    expect(download.suggestedFilename()).toBe('oauth-config.json');
    const template = JSON.parse(fs.readFileSync((await download.path()) as string, 'utf8'));
    expect(template).toEqual((await api(flow.configLoaderUrl, 'GET', '/api/oauth-configurations/template', flow.adminKey)).json);
  });

  it('an invalid file pasted (not JSON; an unknown type and a placeholder) shows the API’s errors next to their lines and loads nothing', async () => {
    const { page } = admin;
    const before = await snapshot();
    const notJson = `${configuration().slice(0, -2)},,\n}`;
    await page.fill('#configuration-text', notJson);
    await page.click('#load button[type="submit"]');
    await page.waitForSelector('#configuration-errors');
    const apiNotJson = await api(flow.configLoaderUrl, 'POST', '/api/oauth-configurations?dryRun=true', flow.adminKey, notJson);
    expect(apiNotJson.status).toBe(400);
    expect(await text(admin, '#configuration-errors tbody')).toContain(apiNotJson.json.errors[0].message);

    const invalid = configuration('<client secret here>').replace('"odata"', '"gmail": { "Gmail-1": { "CLIENT_ID": "x", "CLIENT_SECRET": "gmail-Secret-Kv8" } },\n  "odata"');
    await page.goto(`${flow.publicUrl}/admin`);
    await page.fill('#configuration-text', invalid);
    await page.click('#load button[type="submit"]');
    await page.waitForSelector('#configuration-errors');
    const viaApi = await api(flow.configLoaderUrl, 'POST', '/api/oauth-configurations?dryRun=true', flow.adminKey, invalid);
    expect(viaApi.status).toBe(400);
    // Runs in the page (no DOM types here): the cells of each row.
    const rows: string[][] = await page.$$eval('#configuration-errors tbody tr', (trs: any[]) => trs.map((tr) => Array.from(tr.querySelectorAll('td') as ArrayLike<any>).map((td) => String(td.textContent ?? '').trim())));
    expect(rows.map(([, , pointer, message]) => ({ path: pointer, message }))).toEqual(viaApi.json.errors.map((e: { path: string; message: string }) => ({ path: e.path || '/', message: e.message })));
    const lines = invalid.split('\n');
    for (const [line, shown, pointer] of rows) {
      // Each error sits next to the line of the pasted text its JSON pointer names (secret values hidden).
      const key = pointer.split('/').pop() as string;
      expect(lines[Number(line) - 1]).toContain(`"${key}"`);
      expect(shown).not.toContain('gmail-Secret-Kv8');
    }
    expect(rows.some(([, shown]) => shown.includes('"CLIENT_SECRET": "********"'))).toBe(true);
    expect(await snapshot()).toBe(before);
    await screenshot(admin, 'admin-invalid-file');
  });

  it('the admin uploads the file, sees the plan (nothing written yet), then applies it', async () => {
    const { page } = admin;
    await page.goto(`${flow.publicUrl}/admin`);
    await page.setInputFiles('#configuration-file', { name: 'oauth-config.json', mimeType: 'application/json', buffer: Buffer.from(configuration()) });
    await page.click('#load button[type="submit"]');
    await page.waitForSelector('#plan-table');
    expect(await text(admin, '#plan-summary')).toBe('1 added, 0 updated, 0 unchanged, 0 conflicts');
    expect(await text(admin, '#plan-table tbody')).toContain('added odata OIDC-Pages');
    expect(await flow.dataSource.getRepository(ProviderEntity).count()).toBe(0);
    await screenshot(admin, 'admin-plan');
    const planned = { draft: await page.inputValue('#apply input[name="draft"]'), csrf_token: await page.inputValue('#apply input[name="csrf_token"]') };
    await page.click('#apply button[type="submit"]');
    await page.waitForSelector('#plan-title.ok');
    expect(await text(admin, '#notice')).toBe('Loaded: 1 added, 0 updated, 0 unchanged.');
    expect(await flow.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'OIDC-Pages' })).toMatchObject({ type: 'odata', state: 'ok' });
    expect(await text(admin, '#providers-table')).toContain('pages-client');
    await screenshot(admin, 'admin-applied');
    // The same plan cannot be applied twice (the form sent again, as a browser's resubmission would).
    const cookies = (await admin.context.cookies(flow.publicUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
    const again = await fetch(`${flow.publicUrl}/admin/configuration/apply`, {
      method: 'POST',
      headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(planned).toString(),
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('plan_expired');
  });

  it('the admin issues a key for alice: shown once, on that page, in no URL', async () => {
    const { page } = admin;
    await page.goto(`${flow.publicUrl}/admin#users`);
    const before = await snapshot();
    await page.fill('#user-name', 'not a name!');
    await page.click('#issue-key button[type="submit"]');
    const viaApi = await api(flow.configLoaderUrl, 'POST', '/api/users', flow.adminKey, { name: 'not a name!' });
    expect(await text(admin, '#notice')).toBe(`${viaApi.json.message} ${viaApi.json.error}`);
    expect(await snapshot()).toBe(before);
    await page.fill('#user-name', 'alice');
    await page.click('#issue-key button[type="submit"]');
    userKey = (await page.textContent('#new-user-key')) as string;
    expect(userKey).toMatch(/^flow_u_/);
    await screenshot(admin, 'admin-issued-key');
    await page.goto(`${flow.publicUrl}/admin`);
    expect(await page.content()).not.toContain(userKey);
  });

  it('alice signs in on / with her key (a wrong one gets the API’s error) and has no connector yet', async () => {
    const { page } = user;
    await page.goto(`${flow.publicUrl}/`);
    expect(await page.textContent('h1')).toBe('Flow OAuth connectors');
    const before = await snapshot();
    await page.fill('#key', 'flow_u_wrong-key-0000');
    await page.click('#sign-in button[type="submit"]');
    const viaApi = await api(flow.publicUrl, 'GET', '/api/connectors', 'flow_u_wrong-key-0000');
    expect(viaApi.status).toBe(401);
    expect(await text(user, '#problem')).toBe(`${viaApi.json.message} ${viaApi.json.error}`);
    expect(await snapshot()).toBe(before);
    // With the keyboard alone: the key field is the first stop, Enter sends the form.
    await page.goto(`${flow.publicUrl}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('key');
    await page.keyboard.type(userKey);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${flow.publicUrl}/`);
    expect(await text(user, '#signed-in-as')).toBe('alice');
    expect(await page.textContent('#no-connectors')).toContain('no connectors');
  });

  it('alice adds a connector: type, provider, then label and tenant; a refused label or tenant gets the API’s error and starts nothing', async () => {
    const { page } = user;
    await page.click('#add-connector');
    await page.selectOption('#type', 'odata');
    await page.click('#choose-type button[type="submit"]');
    await page.selectOption('#provider', 'OIDC-Pages');
    await page.click('#choose-provider button[type="submit"]');
    expect(await page.getAttribute('#param-tenant', 'placeholder')).toBe('contoso');
    expect(await unlabelled(user)).toEqual([]);
    await screenshot(user, 'user-add-form');

    const before = await snapshot();
    for (const [label, tenant] of [
      ['My Label', ''],
      ['Pages_1', 'evil.example.com/'],
    ]) {
      await page.fill('#label', label);
      await page.fill('#param-tenant', tenant);
      await page.click('#connect button[type="submit"]');
      await page.waitForSelector('#notice');
      const body = { type: 'odata', provider: 'OIDC-Pages', label, ...(tenant ? { params: { tenant } } : {}) };
      const viaApi = await api(flow.publicUrl, 'POST', '/api/connectors/authorizations', userKey, body);
      expect(viaApi.status).toBe(400);
      expect(await text(user, '#notice')).toContain(viaApi.json.message);
      expect(await text(user, '#notice')).toContain(viaApi.json.error);
      // What was typed stays in the form.
      expect(await page.inputValue('#label')).toBe(label);
    }
    expect(await snapshot()).toBe(before);
    await screenshot(user, 'user-refused-tenant');
  });

  it('… goes through the provider’s own sign-in and consent pages, back through the return page, and lands on the list with it highlighted', async () => {
    const { page } = user;
    await page.fill('#label', 'Pages_1');
    await page.fill('#param-tenant', '');
    await page.click('#connect button[type="submit"]');
    // Alice's Flow session goes straight on from the start link to the provider (no confirmation page).
    await throughProvider(page, 'alice-at-provider');
    expect(await page.textContent('h1')).toBe('Connector created');
    expect(await page.getAttribute('#continue', 'href')).toMatch(new RegExp(`^${flow.publicUrl}/\\?status=success&connector=`));
    await screenshot(user, 'user-return-page');
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('status') === 'success');
    const connector = await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label: 'Pages_1' });
    connectorId = connector.id;
    expect(connector).toMatchObject({ owner: 'alice', status: 'active', params: JSON.stringify({ tenant: 'contoso' }) });
    expect(await page.getAttribute(`#connector-${connectorId}`, 'class')).toBe('highlight');
    expect(await text(user, '#notice')).toBe('Signed in at the provider: the connector Pages_1 is ready.');
    expect(await text(user, `#connector-${connectorId} .status`)).toBe('active');
    await rememberTokens(connectorId);
    await screenshot(user, 'user-connector-added');
  });

  it('alice validates it at the provider', async () => {
    await user.page.click(`button[aria-label="Validate Pages_1"]`);
    await user.page.waitForSelector('#notice');
    expect(await text(user, '#notice')).toBe('Pages_1: the provider accepted its token (HTTP 200).');
    await screenshot(user, 'user-validated');
  });

  it('the same label again is refused with the API’s label_taken, and nothing changes', async () => {
    const { page } = user;
    const before = await snapshot();
    await page.goto(`${flow.publicUrl}/connectors/new?type=odata&provider=OIDC-Pages`);
    await page.fill('#label', 'Pages_1');
    await page.click('#connect button[type="submit"]');
    await page.waitForSelector('#notice');
    const viaApi = await api(flow.publicUrl, 'POST', '/api/connectors/authorizations', userKey, { type: 'odata', provider: 'OIDC-Pages', label: 'Pages_1' });
    expect(viaApi.status).toBe(409);
    expect(await text(user, '#notice')).toBe(`${viaApi.json.message} ${viaApi.json.error}`);
    expect(await snapshot()).toBe(before);
  });

  it('a workflow engine’s token request refreshes it when due, and the admin’s overview counts that refresh', async () => {
    // Time passing, simulated: the token's next refresh time is moved into the past.
    await flow.dataSource.getRepository(ConnectorEntity).update({ id: connectorId }, { nextRefreshAt: '2000-01-01T00:00:00.000Z' });
    const answer = await api(flow.publicUrl, 'GET', `/api/connectors/${connectorId}/token`, flow.serviceKey);
    expect(answer.status).toBe(200);
    await rememberTokens(connectorId);
    expect((await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id: connectorId })).lastRefreshedAt).not.toBeNull();
    await admin.page.goto(`${flow.publicUrl}/admin`);
    expect(await text(admin, '#count-refreshed-24h .figure')).toBe('1');
    expect(await text(admin, '#chart-summary')).toBe('1 refreshed and 0 failed in the last 24 hours');
    expect(await admin.page.locator('#refresh-chart rect title', { hasText: ': 1 refreshed' }).count()).toBe(1);
  });

  it('a change to the in-use provider beyond its secret, and deleting it, are refused with the API’s provider_in_use; nothing changes', async () => {
    const { page } = admin;
    const before = await snapshot();
    const changed = configuration(CLIENT_SECRET, { oauth2_params_scope: ['{"openid":"OpenID"}'] });
    await page.fill('#configuration-text', changed);
    await page.click('#load button[type="submit"]');
    await page.waitForSelector('#plan-refused');
    const viaApi = await api(flow.configLoaderUrl, 'POST', '/api/oauth-configurations', flow.adminKey, changed);
    expect(viaApi.status).toBe(409);
    expect(await text(admin, '#plan-refused')).toContain(viaApi.json.message);
    expect(await text(admin, '#plan-table tbody')).toContain('conflict odata OIDC-Pages Pages_1');
    expect(await page.locator('#apply').count()).toBe(0);
    await screenshot(admin, 'admin-conflict');

    await page.goto(`${flow.publicUrl}/admin#providers`);
    await page.click('#provider-odata-OIDC-Pages summary:has-text("Delete")');
    await page.click('button[aria-label="Delete provider odata/OIDC-Pages"]');
    await page.waitForSelector('#notice');
    const deleteViaApi = await api(flow.configLoaderUrl, 'DELETE', '/api/oauth-configurations/odata/OIDC-Pages', flow.adminKey);
    expect(deleteViaApi.status).toBe(409);
    expect(await text(admin, '#notice')).toContain(deleteViaApi.json.message);
    expect(await text(admin, '#conflicts')).toBe('odata/OIDC-Pages is used by Pages_1');
    expect(await snapshot()).toBe(before);
  });

  it('a form without the session’s CSRF token is refused and does nothing', async () => {
    const before = await snapshot();
    const cookies = (await admin.context.cookies(flow.publicUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
    const forged = await fetch(`${flow.publicUrl}/admin/providers/purge`, {
      method: 'POST',
      headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'type=odata&provider=OIDC-Pages&user=&csrf_token=forged',
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('invalid_form');
    expect(await snapshot()).toBe(before);
  });

  it('the admin purges the provider’s tokens (all users), and the overview shows the connector needs sign-in', async () => {
    const { page } = admin;
    await page.goto(`${flow.publicUrl}/admin#providers`);
    await page.click('#provider-odata-OIDC-Pages summary:has-text("Purge tokens")');
    expect(await page.$$eval('#purge-user-odata-OIDC-Pages option', (options) => options.map((o) => o.textContent))).toEqual(['All users', 'alice']);
    expect(await unlabelled(admin)).toEqual([]);
    await page.selectOption('#purge-user-odata-OIDC-Pages', '');
    await page.click('button[aria-label="Purge tokens of odata/OIDC-Pages"]');
    await page.waitForSelector('#notice');
    expect(await text(admin, '#notice')).toBe('Tokens purged for odata/OIDC-Pages of all users: 1 connector(s): Pages_1 now needs sign-in again.');
    expect(await text(admin, '#count-needs-reauth .figure')).toBe('1');
    expect(await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id: connectorId })).toMatchObject({ status: 'needs_reauth', accessToken: null });
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(admin, 'admin-purged', 'admin-page.png');
  });

  it('alice sees the warning and its reason', async () => {
    const { page } = user;
    await page.goto(`${flow.publicUrl}/`);
    expect(await text(user, `#connector-${connectorId} .status`)).toBe('needs sign-in ⚠ Needs sign-in again: tokens purged by the administrator.');
    expect(await page.locator(`#connector-${connectorId} button[aria-label="Reconnect Pages_1"]`).count()).toBe(1);
    await screenshot(user, 'user-warning', 'connectors-page.png');
  });

  it('alice reconnects: a new sign-in at the provider writes new tokens into the same connector (id and label kept)', async () => {
    const { page } = user;
    tokenVersionBeforeReconnect = (await flow.dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id: connectorId })).tokenVersion;
    await page.click('button[aria-label="Reconnect Pages_1"]');
    await throughProvider(page, 'alice-at-provider');
    expect(await page.textContent('h1')).toBe('Connector reconnected');
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('connector') === connectorId);
    const after = await flow.dataSource.getRepository(ConnectorEntity).find({ where: { owner: 'alice' } });
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: connectorId, label: 'Pages_1', status: 'active', lastError: null });
    expect(after[0].tokenVersion).toBe(tokenVersionBeforeReconnect + 1);
    expect(await page.getAttribute(`#connector-${connectorId}`, 'class')).toBe('highlight');
    expect(await text(user, `#connector-${connectorId} .status`)).toBe('active');
    await rememberTokens(connectorId);
    expect((await api(flow.publicUrl, 'GET', `/api/connectors/${connectorId}/token`, flow.serviceKey)).status).toBe(200);
    await screenshot(user, 'user-reconnected');
  });

  it('alice deletes it', async () => {
    const { page } = user;
    await page.click(`#connector-${connectorId} summary:has-text("Delete")`);
    await page.click('button[aria-label="Delete Pages_1"]');
    await page.waitForSelector('#notice');
    expect(await text(user, '#notice')).toBe('Connector Pages_1 deleted; its tokens were revoked at the provider.');
    expect(await flow.dataSource.getRepository(ConnectorEntity).existsBy({ id: connectorId })).toBe(false);
    expect(await page.locator('#no-connectors').count()).toBe(1);
    await screenshot(user, 'user-deleted');
  });

  it('revoking alice’s key on the admin page ends her browser session', async () => {
    await admin.page.goto(`${flow.publicUrl}/admin#users`);
    await admin.page.click('#user-alice summary');
    await admin.page.click('button[aria-label="Revoke the key of alice"]');
    await admin.page.waitForSelector('#notice');
    expect(await text(admin, '#notice')).toBe('The key of alice is revoked; it stops working at once.');
    expect(await flow.dataSource.getRepository(UserEntity).existsBy({ name: 'alice' })).toBe(false);
    await user.page.goto(`${flow.publicUrl}/`);
    expect(await user.page.locator('#sign-in').count()).toBe(1);
  });

  it('signing out ends the admin session', async () => {
    await admin.page.click('header button[type="submit"]');
    await admin.page.waitForURL(`${flow.publicUrl}/admin`);
    expect(await admin.page.locator('#sign-in').count()).toBe(1);
    expect((await admin.context.cookies(flow.publicUrl)).find((c) => c.name === 'flow_session')).toBeUndefined();
  });

  it('no CSP violation on any page; no key in any URL; no client secret or token in anything the admin’s browser received, nor in a log line', async () => {
    expect(admin.problems).toEqual([]);
    expect(user.problems).toEqual([]);
    expect(tokens.size).toBeGreaterThanOrEqual(4);
    for (const url of [...admin.urls, ...user.urls]) {
      expect(url).not.toContain(userKey);
      expect(url).not.toContain(encodeURIComponent(userKey));
      expect(url).not.toContain(flow.adminKey);
    }
    expect(user.urls.some((u) => u.startsWith(`${oidc.issuer}/contoso/auth`))).toBe(true);
    const received = await Promise.all(admin.answers);
    expect(received.length).toBeGreaterThan(15);
    for (const answer of received) {
      for (const secret of [CLIENT_SECRET, 'gmail-Secret-Kv8', flow.adminKey, flow.serviceKey, ...tokens]) expect(answer).not.toContain(secret);
    }
    for (const answer of await Promise.all(user.answers)) {
      for (const secret of [CLIENT_SECRET, userKey, flow.adminKey, ...tokens]) expect(answer).not.toContain(secret);
    }
    const logs = flow.output();
    expect(logs).toContain('browser signed in as user alice');
    for (const secret of [CLIENT_SECRET, 'gmail-Secret-Kv8', userKey, flow.adminKey, flow.serviceKey, ...tokens]) expect(logs).not.toContain(secret);
  });
});
