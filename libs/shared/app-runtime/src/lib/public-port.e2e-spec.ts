import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_REDIS_URL, testRedisPrefix } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { listenOnPublicPort, type PublicPortOptions, standInForPublicPort } from './public-port';

/** A free port on loopback (bound, then released). */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Who answers on the port: the `x-instance` header of the answer, or 'nobody'. */
async function whoAnswers(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    return res.headers.get('x-instance') ?? 'unknown';
  } catch {
    return 'nobody';
  }
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

const instanceHandler =
  (name: string): http.RequestListener =>
  (_req, res) => {
    res.setHeader('x-instance', name);
    res.end('ok');
  };

describe('the public port when pm2 scale removes instance 0', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const lines: string[] = [];
  const servers: http.Server[] = [];
  let options: PublicPortOptions;

  beforeEach(async () => {
    options = {
      redis,
      claimKey: `${testRedisPrefix('public-port')}:public-port:flow-oauth-server`,
      port: await freePort(),
      host: '127.0.0.1',
      intervalMs: 20,
      logger: { log: (m) => lines.push(`log ${m}`), warn: (m) => lines.push(`warn ${m}`) },
    };
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await redis.del(options.claimKey);
  });
  afterAll(() => redis.disconnect());

  const startInstance0 = async (name: string) => {
    const server = http.createServer(instanceHandler(name));
    servers.push(server);
    await listenOnPublicPort(
      () =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(options.port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        }),
      { ...options, retryMs: 20 },
    );
    return server;
  };

  it('instance 1 stands in on the public port once instance 0 is gone, and hands it back to a new instance 0', async () => {
    const first = await startInstance0('instance-0');
    const standIn = standInForPublicPort(instanceHandler('instance-1'), options);
    try {
      // While instance 0 lives, it alone answers there.
      expect(await whoAnswers(options.port)).toBe('instance-0');
      expect(standIn.holding).toBe(false);

      // pm2 scale flow-oauth-server 1 deletes instance 0.
      first.closeAllConnections();
      await new Promise<void>((resolve) => first.close(() => resolve()));
      servers.splice(servers.indexOf(first), 1);
      await until('instance 1 answers on the public port', async () => (await whoAnswers(options.port)) === 'instance-1');
      expect(standIn.holding).toBe(true);
      expect(lines.join('\n')).toContain(`public port ${options.port} had no listener`);

      // pm2 scale flow-oauth-server 2: the new process is instance 0 again; it claims the port and gets it.
      await startInstance0('instance-0-new');
      expect(await whoAnswers(options.port)).toBe('instance-0-new');
      expect(standIn.holding).toBe(false);
      expect(await redis.exists(options.claimKey)).toBe(0);
    } finally {
      await standIn.stop();
    }
  });

  it('instance 0 gives up on a port another program holds (no stand-in lets go), with the listen error', async () => {
    const stranger = http.createServer(instanceHandler('stranger'));
    servers.push(stranger);
    await new Promise<void>((resolve) => stranger.listen(options.port, '127.0.0.1', resolve));
    const server = http.createServer();
    const attempt = listenOnPublicPort(
      () => new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, '127.0.0.1', () => resolve());
      }),
      { ...options, retryMs: 20, giveUpMs: 200 },
    );
    await expect(attempt).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await whoAnswers(options.port)).toBe('stranger');
  });
});
