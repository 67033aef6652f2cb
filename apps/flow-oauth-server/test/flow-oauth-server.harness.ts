import { migrateDatabase, startAppInProcess, startFlowContext } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { ProviderConfigModule, ProviderConfigurationService } from '@flow-oauth/provider-config';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { UsersService } from '@flow-oauth/api-auth';
import { ConnectorsService, ProviderRegistry } from '@flow-oauth/connectors';
import { type ApiAnswer, callApi, createTestDatabase, freePort, testConfig, testRedisPrefix, type TestDatabase, type TestDatabaseKind } from '@flow-oauth/testing';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { configureFlowOAuthServer, FlowOAuthServerModule } from '../src/app/flow-oauth-server.module';

export interface RunningFlowServer {
  app: INestApplication;
  config: FlowConfig;
  url: string;
  db: TestDatabase;
  dataSource: DataSource;
  /** Loads a configuration document as config-loader would (same use case). */
  loadProviders(doc: unknown): Promise<void>;
  /** config-loader's provider use cases (load, delete, purge), run beside this instance on its deployment: flow-oauth-server has none. */
  providerSettings(): Promise<ProviderConfigurationService>;
  /** Issues a user key. */
  createUser(name: string): Promise<string>;
  /**
   * Writes connector columns straight to the database, as a test does to move a token's clock (make
   * it due or expired), and drops the token answer this instance holds for it: the answer's bounds
   * were computed from the old values, and no event announces a test's write.
   */
  updateConnector(id: string, values: Partial<ConnectorEntity>): Promise<void>;
  call(method: string, path: string, body?: unknown, key?: string | null): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** How long a test waits for an event to reach an instance (far below any hold of a token answer). */
export const EVENT_WAIT_LIMIT_MS = 20_000;

/**
 * Asks until the answer has `status` (a change announced by an event reaches each instance within
 * milliseconds, not at once); any other answer than 200 meanwhile fails. At most EVENT_WAIT_LIMIT_MS.
 */
export async function untilAnswers(status: number, ask: () => Promise<ApiAnswer>): Promise<ApiAnswer> {
  const started = Date.now();
  for (;;) {
    const answer = await ask();
    if (answer.status === status) return answer;
    expect(answer.status).toBe(200);
    if (Date.now() - started > EVENT_WAIT_LIMIT_MS) throw new Error(`still ${answer.status} after ${EVENT_WAIT_LIMIT_MS} ms, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts flow-oauth-server in-process on a fresh, migrated database, with a private queue prefix. */
export async function startFlowServer(
  kind: TestDatabaseKind = 'sqlite',
  /** Extra environment; a function gets the port first (for a FLOW_PUBLIC_URL on another host name). */
  env: Record<string, string> | ((port: number) => Record<string, string>) = {},
  /** Another instance of the same deployment: same database, keys, Redis prefix and public URL. */
  sibling?: { db: TestDatabase; config: FlowConfig; samePort?: boolean },
  /** Extra set-up before the app's own (e.g. a router mounted with app.use, outside Nest's routes). */
  options: { configure?: (app: INestApplication) => void } = {},
): Promise<RunningFlowServer> {
  const db = sibling?.db ?? (await createTestDatabase(kind));
  const port = sibling?.samePort ? sibling.config.ports.flowOauth : await freePort();
  const config: FlowConfig = sibling
    ? { ...sibling.config, ports: { ...sibling.config.ports, flowOauth: port } }
    : testConfig({
        DATABASE_URL: db.url,
        FLOW_QUEUE_PREFIX: testRedisPrefix('fos'),
        FLOW_OAUTH_PORT: String(port),
        FLOW_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...(typeof env === 'function' ? env(port) : env),
      });
  if (!sibling) await migrateDatabase(config);
  const configure = async (nest: INestApplication, flowConfig: FlowConfig) => {
    options.configure?.(nest);
    await configureFlowOAuthServer(nest, flowConfig);
  };
  const app = await startAppInProcess({ name: 'flow-oauth-server', module: FlowOAuthServerModule.forRoot, configure }, config, { port });
  const url = `http://127.0.0.1:${port}`;
  const dataSource = app.get(DataSource);
  // Started on first use, as config-loader would run beside this instance.
  let loader: Promise<INestApplicationContext> | undefined;
  const providerSettings = async () => {
    loader ??= startFlowContext(config, { app: FlowApp.ConfigLoader, runMigrations: false, workQueues: true }, [ProviderConfigModule]);
    return (await loader).get(ProviderConfigurationService);
  };
  return {
    app,
    config,
    url,
    db,
    dataSource,
    providerSettings,
    async loadProviders(doc) {
      await (await providerSettings()).load(doc, { dryRun: false });
      // Deterministic for tests; the providers.changed path is tested on its own.
      await app.get(ProviderRegistry).reload();
    },
    async createUser(name) {
      return (await app.get(UsersService).create(name)).key;
    },
    async updateConnector(id, values) {
      await dataSource.getRepository(ConnectorEntity).update({ id }, values);
      app.get(ConnectorsService).forget(id);
    },
    call(method, path, body, key) {
      return callApi(url, method, path, { key: key === undefined ? config.adminKey : key, keyHeader: 'bearer', body });
    },
    async close() {
      await app.close();
      if (loader) await (await loader).close();
      if (!sibling) await db.drop();
    },
  };
}
