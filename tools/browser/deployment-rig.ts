import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataSourceOptions } from '@flow-oauth/persistence';
import { createTestDatabase, freePort, type TestDatabase, testRedisPrefix, TEST_REDIS_URL } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { deleteRedisKeys } from '../redis-keys';

const ROOT = path.resolve(__dirname, '..', '..');

export type AppName = 'config-loader' | 'flow-oauth-server' | 'token-refresher';

/** A deployment as `npm start` runs it, minus pm2: the built apps as child processes sharing a database, Redis prefix and keys. */
export interface Deployment {
  publicUrl: string;
  configLoaderUrl: string;
  adminKey: string;
  serviceKey: string;
  encryptionKey: Buffer;
  queuePrefix: string;
  /** The test's own connection to the deployment's database (to check what changed, and what did not). */
  dataSource: DataSource;
  /** Everything the processes wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts config-loader (which migrates the database) and then the other apps from dist/ (the tools
 * project's e2e target builds them first), each a child process that tells its parent `ready` as it
 * tells pm2. FLOW_PUBLIC_URL names `localhost`: the OAuth test server runs on 127.0.0.1, another
 * site, so the browser's SameSite rules apply as between Flow and a real provider.
 */
export async function startDeployment(apps: AppName[] = ['config-loader', 'flow-oauth-server'], extraEnv: Record<string, string> = {}): Promise<Deployment> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-pages-'));
  const db: TestDatabase = await createTestDatabase('sqlite');
  const ports = { 'config-loader': await freePort(), 'flow-oauth-server': await freePort(), 'token-refresher': await freePort() };
  const adminKey = `admin-${randomBytes(24).toString('base64url')}`;
  const serviceKey = `service-${randomBytes(24).toString('base64url')}`;
  const encryptionKey = randomBytes(32);
  const queuePrefix = testRedisPrefix('pages');
  const publicUrl = `http://localhost:${ports['flow-oauth-server']}`;
  const configLoaderUrl = `http://127.0.0.1:${ports['config-loader']}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(FLOW_|PM2_|NODE_APP_INSTANCE$|DATABASE_URL$|REDIS_URL$|REFRESH_|\w+_PORT$)/.test(key)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    FLOW_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    FLOW_QUEUE_PREFIX: queuePrefix,
    CONFIG_LOADER_PORT: String(ports['config-loader']),
    FLOW_OAUTH_PORT: String(ports['flow-oauth-server']),
    TOKEN_REFRESHER_PORT: String(ports['token-refresher']),
    FLOW_PUBLIC_URL: publicUrl,
    FLOW_CONFIG_LOADER_URL: configLoaderUrl,
    FLOW_ADMIN_KEY: adminKey,
    FLOW_SERVICE_KEY: serviceKey,
    FLOW_ENCRYPTION_KEY: encryptionKey.toString('base64'),
    FLOW_LOG_LEVEL: 'info',
    ...extraEnv,
  };
  let output = '';
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    await dataSource?.destroy().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await deleteRedisKeys(TEST_REDIS_URL, queuePrefix);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let dataSource: DataSource | undefined;
  try {
    for (const app of apps) {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      children.push(child);
      for (const stream of [child.stdout, child.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          output += chunk;
        });
      }
      await waitReady(child, app, () => output);
    }
    dataSource = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
  } catch (error) {
    await stop();
    throw error;
  }
  const opened = dataSource;
  return { publicUrl, configLoaderUrl, adminKey, serviceKey, encryptionKey, queuePrefix, dataSource: opened, output: () => output, stop };
}

function waitReady(child: ChildProcess, app: string, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`${app} did not say ready within 30 s`), 30_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${why}\n${output().slice(-3000)}`));
    };
    child.once('exit', (code) => fail(`${app} exited (code ${code}) before it was ready`));
    child.on('message', (message) => {
      if (message !== 'ready') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve();
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
