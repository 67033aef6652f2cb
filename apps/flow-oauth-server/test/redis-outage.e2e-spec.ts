import * as net from 'node:net';
import { HttpSession, TEST_REDIS_URL } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/** A TCP proxy to the real Redis that the test can cut and restore, to play a Redis outage. */
async function startCuttableProxy(target: URL): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('flow-oauth-server while Redis is down', () => {
  let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
  let flow: RunningFlowServer;

  beforeAll(async () => {
    proxy = await startCuttableProxy(new URL(TEST_REDIS_URL));
    flow = await startFlowServer('sqlite', { REDIS_URL: proxy.url });
    await flow.loadProviders({ github: { 'GH-Outage': { CLIENT_ID: 'gh-id', CLIENT_SECRET: 'gh-secret' } } });
  });
  afterAll(async () => {
    proxy.restore();
    await flow?.close();
    await proxy?.close();
  });

  it('answers 503 within seconds instead of hanging, says so on /health, and recovers when Redis is back', async () => {
    const start = () => flow.call('POST', '/api/connectors/authorizations', { type: 'github', provider: 'GH-Outage', label: 'Outage_1' });
    const before = await start();
    expect(before.status).toBe(201);

    proxy.cut();
    // The sign-in pages answer a clear 503 page too, and use nothing up.
    const browser = new HttpSession();
    const link = await browser.request('GET', before.json.authorizeUrl);
    expect(link.status).toBe(503);
    expect(link.body).toContain('dependency_unavailable');
    const back = await browser.request('GET', `${flow.config.returnUrl}?state=${before.json.state}&code=c`);
    expect(back.status).toBe(503);
    const began = Date.now();
    const during = await start();
    expect(during.status).toBe(503);
    expect(during.json.error).toBe('dependency_unavailable');
    expect(Date.now() - began).toBeLessThan(10_000);
    const health = await flow.call('GET', '/health', undefined, null);
    expect(health.status).toBe(503);
    expect(health.json.checks.redis).toBe('down');

    proxy.restore();
    const deadline = Date.now() + 20_000;
    let after = await start();
    while (after.status !== 201 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await start();
    }
    expect(after.status).toBe(201);
    // The start link made before the outage still works.
    expect((await browser.request('GET', before.json.authorizeUrl)).status).toBe(200);
    // BullMQ's blocking connections reconnect with their own backoff (up to 2 s); closing the app
    // while they still do leaves them retrying a proxy that is gone.
    await new Promise((r) => setTimeout(r, 3000));
  });

  it('a valid key needs no Redis (it still works while Redis is down); a wrong key is still refused with 401, not counted', async () => {
    const userKey = await flow.createUser('outage-user');
    proxy.cut();
    try {
      // Reads only the database: with the key checked in memory and the database, Redis plays no part.
      const listed = await flow.call('GET', '/api/connectors', undefined, userKey);
      expect(listed.status).toBe(200);
      const wrong = await flow.call('GET', '/api/connectors', undefined, 'flow_u_not-a-key-at-all');
      expect(wrong.status).toBe(401);
      expect(wrong.json.error).toBe('unauthorized');
    } finally {
      proxy.restore();
    }
    const deadline = Date.now() + 20_000;
    while ((await flow.call('GET', '/health', undefined, null)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 3000));
  });
});
