import { QUEUE_DASHBOARD_CSP } from '@flow-oauth/queue-dashboard';
import { HttpSession, readForm } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * The queue dashboard (bull-board) at /admin/queues: only with the admin's browser session, under its
 * own CSP (scripts and its API from this origin only), listing the product's work queues, its UI
 * assets served from node_modules (no CDN). The real-browser check is tools/browser/admin-views.e2e-spec.ts.
 */
describe('queue dashboard', () => {
  let flow: RunningFlowServer;
  let userKey: string;

  beforeAll(async () => {
    flow = await startFlowServer('sqlite');
    userKey = await flow.createUser('dora');
  });
  afterAll(async () => {
    await flow?.close();
  });

  const at = (path: string) => `${flow.config.publicUrl}${path}`;

  async function signedIn(key: string, page: '/' | '/admin'): Promise<HttpSession> {
    const browser = new HttpSession();
    const form = readForm((await browser.request('GET', at(page))).body);
    if (!form) throw new Error('no sign-in form');
    const answer = await browser.request('POST', new URL(form.action, at('/')).toString(), { ...form.hidden, key });
    expect(answer.status).toBe(303);
    return browser;
  }

  it('sends a browser without the admin session to the sign-in form, and refuses its API calls', async () => {
    for (const browser of [new HttpSession(), await signedIn(userKey, '/')]) {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const answer = await browser.request('GET', at(path));
        expect({ path, status: answer.status, location: answer.headers['location'] }).toEqual({ path, status: 303, location: '/admin' });
      }
      const post = await browser.request('POST', at('/admin/queues/api/queues/webhook-delivery/clean/failed'), {});
      expect(post.status).toBe(401);
      expect(JSON.parse(post.body)).toEqual({ error: 'admin_session_required', message: 'Sign in on the admin page with the admin key first.' });
    }
  });

  it('serves bull-board to the admin under its own CSP: its scripts from this origin, nothing from the internet', async () => {
    const admin = await signedIn(flow.config.adminKey, '/admin');
    const page = await admin.request('GET', at('/admin/queues'));
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(QUEUE_DASHBOARD_CSP);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<base href="/admin/queues/"');
    // Its Google Fonts link and inline-styled placeholder are taken out of the page.
    expect(page.body).not.toMatch(/fonts\.googleapis\.com|\sstyle=|<style/);
    expect(page.body).toContain('<div id="root"></div>');
    const scripts = [...page.body.matchAll(/<script defer src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src).not.toMatch(/^https?:/);
      const asset = await admin.request('GET', at(`/admin/queues/${src}`));
      expect({ src, status: asset.status, type: asset.headers['content-type'] }).toEqual({ src, status: 200, type: expect.stringContaining('javascript') });
    }
  });

  it('takes a change (pause a queue) only from its own origin: another origin, or none, is 403 and nothing happens', async () => {
    const admin = await signedIn(flow.config.adminKey, '/admin');
    const cookie = admin
      .cookiesFor(at('/'))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const pause = (origin: string | undefined) =>
      fetch(at('/admin/queues/api/queues/webhook-delivery/pause'), { method: 'PUT', headers: { cookie, ...(origin ? { origin } : {}) } });
    for (const origin of [undefined, 'http://localhost:1', 'https://evil.example']) {
      const refused = await pause(origin);
      expect({ origin, status: refused.status, error: ((await refused.json()) as { error: string }).error }).toEqual({ origin, status: 403, error: 'cross_origin_request' });
    }
    const queues = async () => (JSON.parse((await admin.request('GET', at('/admin/queues/api/queues'))).body) as { queues: Array<{ name: string; isPaused: boolean }> }).queues;
    expect((await queues()).find((q) => q.name === 'webhook-delivery')?.isPaused).toBe(false);
    const accepted = await pause(new URL(flow.config.publicUrl).origin);
    expect(accepted.status).toBeLessThan(300);
    expect((await queues()).find((q) => q.name === 'webhook-delivery')?.isPaused).toBe(true);
    expect((await fetch(at('/admin/queues/api/queues/webhook-delivery/resume'), { method: 'PUT', headers: { cookie, origin: new URL(flow.config.publicUrl).origin } })).status).toBeLessThan(300);
  });

  it('lists the work queue of this deployment (webhook-delivery; background refreshes are no jobs)', async () => {
    const admin = await signedIn(flow.config.adminKey, '/admin');
    const answer = await admin.request('GET', at('/admin/queues/api/queues'));
    expect(answer.status).toBe(200);
    const names = (JSON.parse(answer.body) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['webhook-delivery']);
  });
});
