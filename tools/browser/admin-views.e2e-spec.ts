import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { callApi } from '@flow-oauth/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Deployment, startDeployment } from './deployment-rig';

/**
 * The admin page's newer views in a real browser (Debian's Chromium via playwright-core) against the
 * built config-loader and flow-oauth-server: the setup guide of a connector type (its fragment, filled
 * in, loads through the page), webhook deliveries and the audit trail with their filter forms (a
 * refused filter shows the API's error), the queue dashboard (bull-board) and the API docs
 * (swagger-ui) under their own CSP. A screenshot of each step under tmp/screenshots/admin-views/.
 * No secret reaches the browser.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'tmp', 'screenshots', 'admin-views');
const UPDATE_DOCS = process.env['FLOW_UPDATE_DOCS_SCREENSHOTS'] === '1';
const describeWithChromium = fs.existsSync(CHROMIUM) ? describe : describe.skip;
if (!fs.existsSync(CHROMIUM)) {
  process.stderr.write(`admin-views: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install -y chromium); the browser suite is skipped.\n`);
}

const ZENDESK_SECRET = 'views-zendesk-secret-Kq81pWz3';
const FRAGMENT_SECRET = 'views-fragment-secret-Hn27cTx5';
const WEBHOOK_SECRET = 'views-webhook-secret-Rb63mYd9';
const RETURN_PATH = '/Thingworx/Oauths/oauth/return';

interface Watched {
  context: BrowserContext;
  page: Page;
  /** CSP refusals and script errors on Flow's pages. */
  problems: string[];
  /** What the browser asked for outside Flow (must stay empty: no CDN). */
  outside: string[];
  answers: Array<Promise<string>>;
}

describeWithChromium('the admin page views, queue dashboard and API docs in a real browser (Chromium)', () => {
  let browser: Browser;
  let flow: Deployment;
  let admin: Watched;
  let connectorLabel = '';
  let shot = 0;

  const isFlow = (url: string) => url.startsWith(flow.publicUrl) || url.startsWith(flow.configLoaderUrl);
  const api = (method: string, route: string, body?: unknown) => callApi(flow.configLoaderUrl, method, route, { key: flow.adminKey, body });
  const text = async (selector: string) => (await admin.page.innerText(selector)).replace(/\s+/g, ' ').trim();

  beforeAll(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    // Webhooks on, to a receiver that is not there: deliveries are recorded (pending; no token-refresher sends them here).
    flow = await startDeployment(['config-loader', 'flow-oauth-server'], { FLOW_WEBHOOK_URL: 'http://127.0.0.1:9/flow-hooks', FLOW_WEBHOOK_SECRET: WEBHOOK_SECRET });
    expect((await api('POST', '/api/oauth-configurations', { zendesk: { Zendesk: { CLIENT_ID: 'zd-client', CLIENT_SECRET: ZENDESK_SECRET, SUBDOMAIN: 'acme' } } })).status).toBe(200);
    expect((await api('POST', '/api/users', { name: 'alice' })).status).toBe(201);
    // A connector of alice's on that provider, as the sign-in would leave it (the sign-in itself is pages.e2e-spec.ts's story).
    const provider = await flow.dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'zendesk', name: 'Zendesk' });
    const now = new Date().toISOString();
    connectorLabel = 'Alices_Zendesk';
    await flow.dataSource.getRepository(ConnectorEntity).insert({
      id: randomUUID(),
      label: connectorLabel,
      providerId: provider.id,
      type: 'zendesk',
      providerName: 'Zendesk',
      owner: 'alice',
      status: 'active',
      params: JSON.stringify({ subdomain: 'acme' }),
      metadata: '{}',
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    admin = await watched();
  });

  afterAll(async () => {
    await browser?.close();
    await flow?.stop();
    if (fs.existsSync(SHOTS)) process.stdout.write(`admin-views: screenshots of each step in ${SHOTS}\n`);
  });

  async function watched(): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const w: Watched = { context, page, problems: [], outside: [], answers: [] };
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()) && isFlow(page.url())) w.problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => w.problems.push(`${page.url()}: ${error.message}`));
    context.on('request', (request) => {
      if (!isFlow(request.url()) && !request.url().startsWith('data:')) w.outside.push(request.url());
    });
    context.on('response', (response) => {
      if (!isFlow(response.url())) return;
      w.answers.push((async () => `${response.url()}\n${JSON.stringify(await response.allHeaders())}\n${(await response.body().catch(() => Buffer.alloc(0))).toString('utf8')}`)());
    });
    return w;
  }

  async function screenshot(name: string, docs?: string): Promise<void> {
    shot += 1;
    await admin.page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
    if (docs && UPDATE_DOCS) await admin.page.screenshot({ path: path.join(ROOT, 'docs', docs) });
  }

  it('the admin signs in on /admin and finds the setup guide, webhook and audit sections, every control labelled', async () => {
    const { page } = admin;
    await page.goto(`${flow.publicUrl}/admin`);
    await page.fill('#key', flow.adminKey);
    await page.click('#sign-in button[type="submit"]');
    await page.waitForURL(`${flow.publicUrl}/admin`);
    for (const id of ['#setup-guide', '#deliveries', '#audit']) expect(await page.isVisible(id)).toBe(true);
    const unlabelled = await page.$$eval('input:not([type="hidden"]), select, textarea', (controls: any[]) => controls.filter((c) => !c.labels || c.labels.length === 0).map((c) => String(c.name || c.id)));
    expect(unlabelled).toEqual([]);
  });

  it('the setup guide of zendesk names this deployment’s redirect URI, the scopes, grant and quirks, and shows the loaded provider without its secret', async () => {
    const { page } = admin;
    await page.selectOption('#setup-type', 'zendesk');
    await page.click('#setup-guide-form button[type="submit"]');
    await page.waitForURL(`${flow.publicUrl}/admin/setup?type=zendesk`);
    expect(await text('#redirect-uri')).toBe(`${flow.publicUrl}${RETURN_PATH}`);
    expect(await text('#guide-grant')).toContain('authorization code and refresh token; PKCE S256');
    expect(await text('#guide-scopes')).toContain('read');
    expect(await text('#guide-quirks')).toContain('subdomain');
    expect(await text('#guide-loaded')).toContain('zd-client');
    await screenshot('setup-guide-zendesk', 'setup-guide.png');
    // The same guide as the API gives it.
    const viaApi = (await api('GET', '/api/connector-types/zendesk/setup')).json;
    expect(JSON.parse(await page.innerText('#guide-fragment'))).toEqual(viaApi.fragment);
  });

  it('the guide’s fragment, its placeholders filled in, loads through the page (plan, then apply)', async () => {
    const { page } = admin;
    const fragment = (await page.innerText('#guide-fragment')).replace('<client id here>', 'zd-client-2').replace('<client secret here>', FRAGMENT_SECRET);
    await page.goto(`${flow.publicUrl}/admin#configuration`);
    await page.fill('#configuration-text', fragment);
    await page.click('#load button[type="submit"]');
    expect(await text('#plan-summary')).toBe('1 added, 0 updated, 0 unchanged, 0 conflicts');
    await page.click('#apply button[type="submit"]');
    expect(await text('#notice')).toContain('Loaded: 1 added');
    const loaded = (await api('GET', '/api/oauth-configurations')).json;
    expect(loaded.zendesk['Zendesk-2']).toMatchObject({ CLIENT_ID: 'zd-client-2', CLIENT_SECRET: '********', state: 'ok' });
  });

  it('an unknown connector type gets the API’s 404 on the guide page', async () => {
    const answer = await admin.page.goto(`${flow.publicUrl}/admin/setup?type=gmail`);
    expect(answer?.status()).toBe(404);
    const viaApi = await api('GET', '/api/connector-types/gmail/setup');
    expect(await text('#notice')).toContain(viaApi.json.message);
    expect(await text('#notice')).toContain('not_found');
    await screenshot('setup-guide-unknown-type');
  });

  it('after a token purge, the webhook deliveries section shows connector.needs_reauth, and its filters narrow it', async () => {
    const { page } = admin;
    await page.goto(`${flow.publicUrl}/admin#providers`);
    await page.click('#provider-zendesk-Zendesk details:has(form[action$="/purge"]) summary');
    await page.click('button[aria-label="Purge tokens of zendesk/Zendesk"]');
    expect(await text('#notice')).toContain(`${connectorLabel} now needs sign-in again`);
    await page.goto(`${flow.publicUrl}/admin#deliveries`);
    expect(await text('#deliveries-table')).toContain('connector.needs_reauth');
    expect(await text('#deliveries-table')).toContain(connectorLabel);
    expect(await text('#deliveries-table')).toContain('pending');
    await page.selectOption('#deliveries-status', 'delivered');
    await page.click('#deliveries-filter button[type="submit"]');
    expect(new URL(page.url()).searchParams.get('deliveries_status')).toBe('delivered');
    expect(await page.isVisible('#deliveries-table-empty')).toBe(true);
    await page.selectOption('#deliveries-status', 'pending');
    await page.selectOption('#deliveries-event', 'connector.needs_reauth');
    await page.click('#deliveries-filter button[type="submit"]');
    expect(await text('#deliveries-table')).toContain(connectorLabel);
    await page.locator('#deliveries').scrollIntoViewIfNeeded();
    await screenshot('webhook-deliveries', 'admin-deliveries.png');
  });

  it('a refused delivery filter shows the API’s error beside the form (400)', async () => {
    const answer = await admin.page.goto(`${flow.publicUrl}/admin?deliveries_connector=not-a-connector-id#deliveries`);
    expect(answer?.status()).toBe(400);
    const viaApi = await api('GET', '/api/webhooks/deliveries?connector=not-a-connector-id');
    expect(viaApi.status).toBe(400);
    expect(await text('#deliveries-refused')).toContain(viaApi.json.message);
    expect(await admin.page.inputValue('#deliveries-connector')).toBe('not-a-connector-id');
  });

  it('the audit trail shows the load, the key issued and the purge; a type filter narrows it; a bad time is refused as the API refuses it', async () => {
    const { page } = admin;
    await page.goto(`${flow.publicUrl}/admin#audit`);
    const all = await text('#audit-table');
    for (const type of ['configuration.load', 'user.key_issued', 'tokens.purge', 'connector.needs_reauth']) expect(all).toContain(type);
    await page.fill('#audit-type', 'tokens.purge');
    await page.click('#audit-filter button[type="submit"]');
    const rows = await page.$$eval('#audit-table tbody tr', (trs: any[]) => trs.map((tr) => tr.children[2].textContent));
    expect(rows).toEqual(['tokens.purge']);
    await page.locator('#audit').scrollIntoViewIfNeeded();
    await screenshot('audit-trail', 'admin-audit.png');
    await page.fill('#audit-since', 'yesterday');
    await page.click('#audit-filter button[type="submit"]');
    const viaApi = await api('GET', '/api/audit?since=yesterday');
    expect(await text('#audit-refused')).toContain(viaApi.json.message);
  });

  it('the queue dashboard (bull-board) lists the product’s queues under its own CSP, nothing from the internet', async () => {
    const { page } = admin;
    const answer = await page.goto(`${flow.publicUrl}/admin/queues`);
    expect(answer?.status()).toBe(200);
    await page.getByText('webhook-delivery').first().waitFor({ timeout: 20_000 });
    // The purge's delivery job waits in webhook-delivery (no token-refresher runs here to send it).
    await page.getByText('webhook-delivery').first().click();
    await page.getByText('deliver', { exact: true }).first().waitFor({ timeout: 20_000 });
    await screenshot('queue-dashboard', 'queue-dashboard.png');
  });

  it('the API docs (swagger-ui) of both services render under their CSP', async () => {
    const { page } = admin;
    for (const base of [flow.publicUrl, flow.configLoaderUrl]) {
      expect((await page.goto(`${base}/api/docs`))?.status()).toBe(200);
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    }
    expect(await page.innerText('body')).toContain('/api/connector-types/{type}/setup');
    await screenshot('api-docs-config-loader', 'api-docs.png');
  });

  it('no CSP violation and no script error on Flow’s pages, nothing fetched from the internet, no secret in anything the browser received', async () => {
    const bodies = (await Promise.all(admin.answers)).join('\n');
    for (const secret of [ZENDESK_SECRET, FRAGMENT_SECRET, WEBHOOK_SECRET, flow.adminKey]) expect(bodies.includes(secret)).toBe(false);
    expect({ outside: admin.outside, problems: admin.problems }).toEqual({ outside: [], problems: [] });
  });
});
