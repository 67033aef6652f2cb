import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataSourceOptions, sqlDialect } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { type ApiAnswer, callApi, createTestDatabase, freePort, waitFor, type TestDatabase, type TestDatabaseKind } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

// The three processes as pm2 runs them: the built apps from dist/, each its own Node process, one
// database and one Redis prefix between them. (tools/smoke runs them under pm2 itself.)

const ROOT = path.resolve(__dirname, '..', '..');
const APPS = ['config-loader', 'flow-oauth-server', 'token-refresher'] as const;
export type AppName = (typeof APPS)[number];
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface Deployment {
  kind: TestDatabaseKind;
  urls: Record<AppName, string>;
  adminKey: string;
  serviceKey: string;
  encryptionKey: string;
  /** Every line the three processes wrote (stdout and stderr), for the secret search. */
  output: string[];
  /** The test's own connection to the deployment's database. */
  dataSource: DataSource;
  box: SecretBox;
  call(app: AppName, method: string, route: string, options?: { key?: string | null; body?: unknown }): Promise<ApiAnswer>;
  /** A connector's tokens in clear, as stored now (the test looks for them where they must not be). */
  tokensOf(connectorId: string): Promise<{ accessToken: string | null; refreshToken: string | null }>;
  stop(): Promise<void>;
}

/** Starts config-loader (it migrates), then flow-oauth-server and token-refresher, from dist/, on a fresh database. */
export async function startDeployment(kind: TestDatabaseKind, env: Record<string, string>): Promise<Deployment> {
  const db: TestDatabase = await createTestDatabase(kind);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-health-'));
  const ports = { 'config-loader': await freePort(), 'flow-oauth-server': await freePort(), 'token-refresher': await freePort() };
  const prefix = `health-${randomBytes(4).toString('hex')}`;
  const adminKey = `admin-${randomBytes(20).toString('hex')}`;
  const serviceKey = `service-${randomBytes(20).toString('hex')}`;
  const encryptionKey = randomBytes(32).toString('base64');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(FLOW_|PM2_|NODE_APP_INSTANCE$|DATABASE_URL$|REDIS_URL$|REFRESH_\w+$|\w+_PORT$)/.test(key)));
  const childEnv: NodeJS.ProcessEnv = {
    ...inherited,
    FLOW_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    REDIS_URL,
    FLOW_QUEUE_PREFIX: prefix,
    CONFIG_LOADER_PORT: String(ports['config-loader']),
    FLOW_OAUTH_PORT: String(ports['flow-oauth-server']),
    TOKEN_REFRESHER_PORT: String(ports['token-refresher']),
    FLOW_PUBLIC_URL: `http://127.0.0.1:${ports['flow-oauth-server']}`,
    FLOW_ADMIN_KEY: adminKey,
    FLOW_SERVICE_KEY: serviceKey,
    FLOW_ENCRYPTION_KEY: encryptionKey,
    ...env,
  };
  const output: string[] = [];
  const children: ChildProcess[] = [];
  const start = (app: AppName) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], { cwd: dataDir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
    }
    children.push(child);
  };
  const urls = Object.fromEntries(APPS.map((app) => [app, `http://127.0.0.1:${ports[app]}`])) as Record<AppName, string>;
  const stopAll = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  let dataSource: DataSource | undefined;
  try {
    start('config-loader');
    await healthy(urls['config-loader'], output);
    start('flow-oauth-server');
    start('token-refresher');
    await Promise.all([healthy(urls['flow-oauth-server'], output), healthy(urls['token-refresher'], output)]);
    dataSource = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
  } catch (error) {
    await stopAll();
    await db.drop();
    throw error;
  }
  const box = new SecretBox(Buffer.from(encryptionKey, 'base64'));
  const ds = dataSource;
  return {
    kind,
    urls,
    adminKey,
    serviceKey,
    encryptionKey,
    output,
    dataSource: ds,
    box,
    call: (app, method, route, options = {}) => callApi(urls[app], method, route, { key: options.key === undefined ? adminKey : options.key, body: options.body, keyHeader: 'bearer' }),
    async tokensOf(connectorId) {
      const [row] = (await ds.query(sqlDialect(ds).sql('SELECT access_token AS "a", refresh_token AS "r" FROM connectors WHERE id = ?'), [connectorId])) as Array<{ a: string | null; r: string | null }>;
      return {
        accessToken: row?.a ? box.open(row.a, { table: 'connectors', column: 'access_token', row: connectorId }) : null,
        refreshToken: row?.r ? box.open(row.r, { table: 'connectors', column: 'refresh_token', row: connectorId }) : null,
      };
    },
    async stop() {
      await stopAll();
      await ds.destroy().catch(() => undefined);
      await deleteRedisKeys(REDIS_URL, prefix);
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { waitFor };

async function healthy(url: string, output: string[]): Promise<void> {
  await waitFor(
    `${url}/health to answer 200`,
    async () => {
      try {
        return (await fetch(`${url}/health`)).status === 200;
      } catch {
        return false;
      }
    },
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${output.slice(-30).join('\n')}`);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Deletes the deployment's Redis keys (its private prefix); best effort. */
async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Keys under a private prefix harm nothing.
  } finally {
    redis.disconnect();
  }
}
