import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { startHttpFaultProxy } from './http-fault-proxy';
import { type PrivateRedis, startPrivateRedis } from './private-redis';
import { startRecordingServer } from './recording-http-server';
import { holdSqliteWriteLock } from './sqlite-write-lock';
import { startTcpProxy } from './tcp-proxy';
import { TEST_REDIS_URL, testRedisPrefix } from './test-config';

// The fault tools the end-to-end fault suites stand on, each against a real counterpart: a private
// redis-server, a TCP echo server, a node:http server, a SQLite file.

function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

/** Sends `text` and resolves with what came back, or rejects with the socket's error / close. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received.length >= text.length) {
        socket.end();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before the echo')));
  });
}

describe('startTcpProxy', () => {
  it('forwards both ways; cut() resets open connections and refuses new ones until restore()', async () => {
    const echo = await echoServer();
    const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: echo.port });
    try {
      expect(await roundTrip(proxy.port, 'hello')).toBe('hello');

      const open = net.connect({ host: '127.0.0.1', port: proxy.port });
      open.on('error', () => undefined);
      await new Promise((resolve) => open.once('connect', resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closed = new Promise((resolve) => open.once('close', resolve));
      await proxy.cut();
      await closed;
      expect(proxy.isCut).toBe(true);
      await expect(roundTrip(proxy.port, 'during the outage')).rejects.toThrow(/ECONNREFUSED/);

      await proxy.restore();
      expect(await roundTrip(proxy.port, 'after')).toBe('after');
      expect(proxy.connectionsForwarded).toBe(3);
      expect(proxy.urlThrough('postgres://postgres@db.example:5432/test')).toBe(`postgres://postgres@127.0.0.1:${proxy.port}/test`);
    } finally {
      await proxy.stop();
      await echo.close();
    }
  });

  it('counts round trips: one per request that follows an answer, one for a pipeline of commands', async () => {
    const redis = await startPrivateRedis();
    const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: redis.port });
    const client = new Redis(proxy.urlThrough(redis.url), { maxRetriesPerRequest: 1, enableReadyCheck: false });
    try {
      await client.ping();
      proxy.resetTurns();
      await client.set('a', '1');
      await client.get('a');
      expect(proxy.turns()).toBe(2);
      proxy.resetTurns();
      const pipeline = client.pipeline();
      for (let i = 0; i < 50; i++) pipeline.get('a');
      await pipeline.exec();
      expect(proxy.turns()).toBe(1);
    } finally {
      client.disconnect();
      await proxy.stop();
      await redis.stop();
    }
  });
});

describe('startPrivateRedis', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('FLUSHDB empties the private server and leaves the shared Redis alone', async () => {
    const prefix = testRedisPrefix('private-redis');
    const shared = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const own = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await shared.set(`${prefix}:kept`, '1', 'EX', 60);
      await own.set('lost', '1');
      expect(await redis.dbsize()).toBe(1);
      await redis.flushdb();
      expect(await redis.dbsize()).toBe(0);
      expect(await shared.get(`${prefix}:kept`)).toBe('1');
      await shared.del(`${prefix}:kept`);
    } finally {
      shared.disconnect();
      own.disconnect();
    }
  });

  it('kill -9 takes it down at once; restart brings it back empty on the same port; a client through a cut proxy reconnects after restore', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100, enableOfflineQueue: false });
    client.on('error', () => undefined);
    const proxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: redis.port });
    const through = new Redis(proxy.urlThrough(redis.url), { maxRetriesPerRequest: 0, retryStrategy: () => 100, enableOfflineQueue: false });
    through.on('error', () => undefined);
    try {
      await waitFor(async () => (await client.ping()) === 'PONG');
      await client.set('k', 'v');
      const pid = redis.pid;
      await redis.kill9();
      await expect(client.get('k')).rejects.toThrow();
      await redis.restart();
      expect(redis.pid).not.toBe(pid);
      await waitFor(async () => (await client.ping()) === 'PONG');
      expect(await client.get('k')).toBeNull();

      await waitFor(async () => (await through.ping()) === 'PONG');
      await proxy.cut();
      await expect(through.ping()).rejects.toThrow();
      await proxy.restore();
      await waitFor(async () => (await through.ping()) === 'PONG');
    } finally {
      client.disconnect();
      through.disconnect();
      await proxy.stop();
    }
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function post(url: string, form: string, agent?: http.Agent): { done: Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>; abort(): void } {
  const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const done = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
  req.end(form);
  return { done, abort: () => req.destroy() };
}

describe('startHttpFaultProxy', () => {
  it('passes through and counts the server errors; answers 500 or 429 with Retry-After itself without reaching the server', async () => {
    const server = await startRecordingServer((request) =>
      request.form.get('refresh_token') === 'burned' ? { status: 400, body: { error: 'invalid_grant' } } : { body: { access_token: 'at', token_type: 'Bearer' } },
    );
    const proxy = await startHttpFaultProxy(server.url);
    try {
      const ok = await post(`${proxy.url}/token`, 'grant_type=refresh_token&refresh_token=fresh').done;
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ access_token: 'at', token_type: 'Bearer' });
      expect((await post(`${proxy.url}/token`, 'grant_type=refresh_token&refresh_token=burned').done).status).toBe(400);
      expect(proxy.serverErrors('invalid_grant')).toBe(1);
      expect(server.requests.map((r) => r.url)).toEqual(['/token', '/token']);

      proxy.failWith500();
      expect((await post(`${proxy.url}/token`, 'grant_type=refresh_token&refresh_token=fresh').done).status).toBe(500);
      proxy.rateLimit(7);
      const limited = await post(`${proxy.url}/token`, 'grant_type=refresh_token&refresh_token=fresh').done;
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('7');
      expect(server.requests).toHaveLength(2);
      proxy.passThrough();
      expect((await post(`${proxy.url}/token`, 'grant_type=refresh_token&refresh_token=fresh').done).status).toBe(200);

      expect(proxy.exchanges.map((e) => [e.outcome, e.status, e.grantType])).toEqual([
        ['forwarded', 200, 'refresh_token'],
        ['forwarded', 400, 'refresh_token'],
        ['answered', 500, 'refresh_token'],
        ['answered', 429, 'refresh_token'],
        ['forwarded', 200, 'refresh_token'],
      ]);
      // One refresh token sent again shows up as the same hash; the token itself is kept nowhere.
      const hashes = proxy.exchanges.map((e) => e.tokenHash);
      expect(hashes[0]).toMatch(/^[0-9a-f]{8}$/);
      expect(hashes).toEqual([hashes[0], hashes[1], hashes[0], hashes[0], hashes[0]]);
      expect(hashes[1]).not.toBe(hashes[0]);
      expect(JSON.stringify(proxy.exchanges)).not.toMatch(/"(fresh|burned)"/);
      expect(proxy.exchanges.every((e) => e.endedAt !== undefined && e.endedAt >= e.at)).toBe(true);
    } finally {
      await proxy.stop();
      await server.stop();
    }
  });

  it('holds or stalls requests before forwarding them; a client that goes away meanwhile never reaches the server', async () => {
    const server = await startRecordingServer(() => ({ body: { ok: true } }));
    const proxy = await startHttpFaultProxy(server.url);
    try {
      proxy.holdRequests(300);
      const kept = post(`${proxy.url}/token`, 'grant_type=refresh_token');
      const abandoned = post(`${proxy.url}/token`, 'grant_type=refresh_token');
      abandoned.done.catch(() => undefined);
      await proxy.waitForInFlight(2, 5000);
      expect(server.requests).toHaveLength(0);
      abandoned.abort();
      expect((await kept.done).status).toBe(200);
      await waitFor(async () => proxy.inFlight === 0);
      expect(server.requests).toHaveLength(1);
      expect(proxy.count((e) => e.outcome === 'dropped')).toBe(1);

      proxy.holdRequests(0);
      proxy.stallRequests();
      const stalled = post(`${proxy.url}/token`, 'grant_type=refresh_token');
      await proxy.waitForInFlight(1, 5000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.requests).toHaveLength(1);
      proxy.resumeRequests();
      expect((await stalled.done).status).toBe(200);
      expect(server.requests).toHaveLength(2);
    } finally {
      await proxy.stop();
      await server.stop();
    }
  });
});

describe('holdSqliteWriteLock', () => {
  it('makes every other writer fail with SQLITE_BUSY after its busy timeout while readers go on, until released', async () => {
    const Database = require('better-sqlite3') as new (file: string, options?: { timeout?: number }) => {
      pragma(sql: string): unknown;
      exec(sql: string): void;
      prepare(sql: string): { get(): unknown; run(): unknown };
      close(): void;
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-sqlite-lock-'));
    const file = path.join(dir, 'db.sqlite');
    const app = new Database(file, { timeout: 100 });
    try {
      app.pragma('journal_mode = WAL');
      app.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)');
      const lock = await holdSqliteWriteLock(file);
      expect(app.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
      expect(() => app.prepare('INSERT INTO t VALUES (2)').run()).toThrow(/database is locked/);
      await lock.release();
      app.prepare('INSERT INTO t VALUES (2)').run();
      expect(app.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2 });
    } finally {
      app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
