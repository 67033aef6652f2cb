import { AdminBrowserSession, hashApiKey, UsersService } from '@flow-oauth/api-auth';
import { UserEntity } from '@flow-oauth/persistence';
import { REDIS } from '@flow-oauth/redis';
import { callApi, HttpSession, LogCapture, readForm, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import type { Redis } from 'ioredis';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * Signing in to the pages with a key (a form post, never a URL), the browser session it opens
 * (HttpOnly, SameSite=Lax, bound to that key), CSRF on every form, the admin pages' guard (as a
 * Nest guard and as Express middleware for routers mounted outside Nest), and wrong keys counted in
 * the same throttle as the API's. A cookie-keeping HTTP client plays the browser; the real-browser
 * story is tools/browser/pages.e2e-spec.ts.
 */
describe.each(TEST_DATABASE_KINDS)('page sign-in and browser sessions on %s', (kind) => {
  let flow: RunningFlowServer;
  let aliceKey: string;
  const logs = new LogCapture();

  beforeAll(async () => {
    flow = await startFlowServer(kind, { FLOW_AUTH_FAILURE_LIMIT: '5' }, undefined, {
      configure: (app) => {
        // What a dashboard mounted with app.use (bull-board) does: the admin session's middleware in front of it.
        app.use('/admin/mounted', app.get(AdminBrowserSession).middleware(), (_req: unknown, res: { end(text: string): void }) => res.end('inside the mounted router'));
      },
    });
    aliceKey = await flow.createUser('alice');
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    await flow?.close();
  });

  const at = (path: string) => `${flow.config.publicUrl}${path}`;

  /** Opens `page` in a fresh browser and posts its sign-in form with `key`. */
  async function signIn(key: string, page: '/' | '/admin' = '/'): Promise<{ browser: HttpSession; answer: Awaited<ReturnType<HttpSession['request']>> }> {
    const browser = new HttpSession();
    const form = readForm((await browser.request('GET', at(page))).body);
    if (!form) throw new Error('no sign-in form');
    const answer = await browser.request('POST', new URL(form.action, at('/')).toString(), { ...form.hidden, key });
    return { browser, answer };
  }

  it('without a session, / and /admin show the sign-in form: strict CSP, posting only to Flow, a Strict CSRF cookie', async () => {
    for (const page of ['/', '/admin'] as const) {
      const browser = new HttpSession();
      const answer = await browser.request('GET', at(page));
      expect(answer.status).toBe(200);
      expect(answer.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      expect(answer.body).toContain('<input type="password" id="key" name="key"');
      expect(answer.body).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
      expect(readForm(answer.body)).toMatchObject({ action: '/sign-in', hidden: { page: page === '/' ? 'user' : 'admin', csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } });
      expect(String(answer.headers['set-cookie'])).toMatch(/^flow_form_csrf=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    }
  });

  it('a user key opens an HttpOnly, SameSite=Lax session on /, bound to alice; the key is in no answer', async () => {
    const { browser, answer } = await signIn(aliceKey);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const cookies = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
    expect(cookies.find((c) => c.startsWith('flow_session='))).toMatch(/^flow_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    // The sign-in form's CSRF cookie has done its job.
    expect(cookies.find((c) => c.startsWith('flow_form_csrf='))).toMatch(/^flow_form_csrf=; Max-Age=0/);
    const page = await browser.request('GET', at('/'));
    expect(page.body).toContain('Signed in as <strong id="signed-in-as">alice</strong>');
    expect(page.body).not.toContain(aliceKey);
    expect(page.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self' https:; frame-ancestors 'none'");
  });

  it('no key, the service key, a wrong key and a form without its CSRF token are refused with the API’s codes and open no session', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['no key', '', 401, 'unauthorized'],
      ['service key', flow.config.serviceKey, 403, 'forbidden'],
      ['wrong key', 'flow_u_not-a-key', 401, 'unauthorized'],
    ];
    for (const [, key, status, code] of cases) {
      const { browser, answer } = await signIn(key);
      expect(answer.status).toBe(status);
      expect(answer.body).toContain(`<code>${code}</code>`);
      expect(browser.cookiesFor(flow.url).some((c) => c.name === 'flow_session')).toBe(false);
    }
    const wrong = await callApi(flow.url, 'GET', '/api/connectors', { key: 'flow_u_not-a-key' });
    expect((await signIn('flow_u_not-a-key')).answer.body).toContain(wrong.json.message);
    const noCookie = await new HttpSession().request('POST', at('/sign-in'), { key: aliceKey, csrf_token: 'x'.repeat(43) });
    expect(noCookie.status).toBe(403);
    expect(noCookie.body).toContain('invalid_form');
    expect(noCookie.headers['set-cookie']?.some((c) => c.startsWith('flow_session='))).not.toBe(true);
  });

  it("a user's session opens none of the admin pages; the admin key does, and the admin guard guards a router mounted outside Nest too", async () => {
    const { browser: user } = await signIn(aliceKey);
    const adminPage = await user.request('GET', at('/admin'));
    expect(adminPage.status).toBe(200);
    expect(adminPage.body).toContain('the admin page needs the admin key');
    expect(adminPage.body).toContain('id="sign-in"');
    expect(await user.request('GET', at('/admin/template'))).toMatchObject({ status: 303, headers: { location: '/admin' } });
    const before = await flow.dataSource.getRepository(UserEntity).count();
    const issued = await user.request('POST', at('/admin/users'), { name: 'mallory', csrf_token: 'whatever' });
    expect(issued.status).toBe(401);
    expect(issued.body).toContain('admin_session_required');
    expect(issued.headers['content-type']).toMatch(/^text\/html/);
    expect(await flow.dataSource.getRepository(UserEntity).count()).toBe(before);
    expect(await user.request('GET', at('/admin/mounted'))).toMatchObject({ status: 303, headers: { location: '/admin' } });
    expect((await user.request('POST', at('/admin/mounted'), {})).status).toBe(401);

    const { browser: admin, answer } = await signIn(flow.config.adminKey, '/admin');
    expect(answer.headers.location).toBe('/admin');
    const template = await admin.request('GET', at('/admin/template'));
    expect(template.status).toBe(200);
    expect(template.headers['content-disposition']).toBe('attachment; filename="oauth-config.json"');
    expect(Object.keys(JSON.parse(template.body))).toContain('google_gmail');
    expect(await admin.request('GET', at('/admin/mounted'))).toMatchObject({ status: 200, body: 'inside the mounted router' });
  });

  it('a form of the connectors page without a session or without its CSRF token does nothing', async () => {
    const anonymous = await new HttpSession().request('POST', at('/connectors'), { type: 'odata', provider: 'X', label: 'Nope' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('id="sign-in"');
    const { browser } = await signIn(aliceKey);
    const forged = await browser.request('POST', at('/connectors'), { type: 'odata', provider: 'X', label: 'Nope', csrf_token: 'forged' });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('invalid_form');
  });

  it('revoking the key (or changing it) ends its sessions; signing out needs the session’s CSRF token and ends it', async () => {
    const bobKey = await flow.createUser('bob');
    const { browser: bob } = await signIn(bobKey);
    expect((await bob.request('GET', at('/'))).body).toContain('id="signed-in-as">bob<');
    await flow.app.get(UsersService).delete('bob');
    expect((await bob.request('GET', at('/'))).body).toContain('id="sign-in"');
    // The same name issued again has another key: the old session does not come back.
    await flow.createUser('bob');
    expect((await bob.request('GET', at('/'))).body).toContain('id="sign-in"');

    const { browser } = await signIn(aliceKey);
    const session = browser.cookiesFor(flow.url).find((c) => c.name === 'flow_session')?.value as string;
    const redis = flow.app.get<Redis>(REDIS);
    const keys = await redis.keys(`${flow.config.queuePrefix}:browser-session:*`);
    expect(keys.length).toBeGreaterThan(0);
    const refused = await browser.request('POST', at('/sign-out'), { page: 'user', csrf_token: 'forged' });
    expect(refused.status).toBe(403);
    expect((await browser.request('GET', at('/'))).body).toContain('id="signed-in-as">alice<');
    const page = await browser.request('GET', at('/'));
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)?.[1] as string;
    const out = await browser.request('POST', at('/sign-out'), { page: 'user', csrf_token: csrf });
    expect(out).toMatchObject({ status: 303, headers: { location: '/' } });
    expect(browser.cookiesFor(flow.url).some((c) => c.name === 'flow_session')).toBe(false);
    const reused = new HttpSession();
    reused.setCookie(flow.url, 'flow_session', session);
    expect((await reused.request('GET', at('/'))).body).toContain('id="sign-in"');
    expect(await redis.exists(...keys)).toBeLessThan(keys.length);
  });

  it('wrong keys through the sign-in form count in the API’s throttle: past the limit the page and the API both answer 429, even for the right key', async () => {
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let i = 0; i < 7; i++) {
      const { answer } = await signIn(`flow_u_guess-${i}`);
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers['retry-after'];
    }
    // Earlier tests of this suite counted one wrong key from this address.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const api = await callApi(flow.url, 'GET', '/api/connectors', { key: aliceKey, localAddress: '127.0.0.1' });
    expect(api.status).toBe(429);
    const right = await signIn(aliceKey);
    expect(right.answer.status).toBe(429);
    expect(right.answer.body).toContain('too_many_requests');
    expect(right.browser.cookiesFor(flow.url).some((c) => c.name === 'flow_session')).toBe(false);
  });

  it('no key reached a log line; the key hash is not in Redis', async () => {
    const text = logs.text();
    expect(text).toContain('browser signed in as user alice');
    for (const secret of [aliceKey, flow.config.adminKey, flow.config.serviceKey]) expect(text).not.toContain(secret);
    const redis = flow.app.get<Redis>(REDIS);
    for (const key of await redis.keys(`${flow.config.queuePrefix}:browser-session:*`)) expect(await redis.get(key)).not.toContain(hashApiKey(aliceKey));
  });
});
