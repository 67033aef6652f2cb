import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** The redis-server's process id (changes on restart). */
  readonly pid: number | undefined;
  /** FLUSHDB on this server only: every key of database 0 is gone, as after a Redis data loss. */
  flushdb(): Promise<void>;
  /** Number of keys in database 0. */
  dbsize(): Promise<number>;
  /** kill -9: the server is gone at once, with its data (it keeps none on disk). */
  kill9(): Promise<void>;
  /** Starts the server again on the same port (empty), after kill9() or stop(). */
  restart(): Promise<void>;
  /** Shuts the server down (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

// Servers of this test process, killed if it exits without stopping them (a crashed run).
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A redis-server of the test's own, on a free loopback port, with no persistence: the only way a
 * test may lose Redis data (FLUSHDB) or take Redis down (kill -9) without touching the shared
 * Redis other suites and engineers use. Needs `redis-server` on the PATH (or REDIS_SERVER_BIN).
 */
export async function startPrivateRedis(options: { bin?: string } = {}): Promise<PrivateRedis> {
  const bin = options.bin ?? process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
  const port = await freeLoopbackPort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined = await launch(bin, port);

  const withClient = async <T>(fn: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return await fn(redis);
    } finally {
      redis.disconnect();
    }
  };

  const waitExit = (proc: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });

  return {
    port,
    url,
    get pid() {
      return child?.pid;
    },
    flushdb: () => withClient(async (redis) => void (await redis.flushdb())),
    dbsize: () => withClient((redis) => redis.dbsize()),
    async kill9() {
      if (child) await waitExit(child, 'SIGKILL');
      child = undefined;
    },
    async restart() {
      if (child) await waitExit(child, 'SIGTERM');
      child = await launch(bin, port);
    },
    async stop() {
      if (child) await waitExit(child, 'SIGTERM');
      child = undefined;
    },
  };
}

async function launch(bin: string, port: number): Promise<ChildProcess> {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`redis-server did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    function fail(message: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${message}\n${output}`));
    }
    child.once('error', (error) => fail(`could not run ${bin}: ${error.message}`));
    child.once('exit', (code) => fail(`redis-server exited with code ${code}`));
    const onData = () => {
      if (!/Ready to accept connections/i.test(output)) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stdout?.off('data', onData);
      resolve();
    };
    child.stdout?.on('data', onData);
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // Do not keep the test process alive for the server's sake; stop() / kill9() end it.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as net.Socket | null)?.unref();
  return child;
}

/**
 * A port that was free a moment ago on 127.0.0.1; with `alsoFree`, one whose port + alsoFree was free
 * as well (pm2 instance i of an app listens on its port + 100 × i).
 */
export async function freeLoopbackPort(alsoFree?: number): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    if (alsoFree === undefined) return port;
    if (port + alsoFree <= 65_535 && (await listenOnce(port + alsoFree).then(() => true, () => false))) return port;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}
