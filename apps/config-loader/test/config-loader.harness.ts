import { startAppInProcess } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { type ApiAnswer, callApi, createTestDatabase, testConfig, testRedisPrefix, type TestDatabase, type TestDatabaseKind } from '@flow-oauth/testing';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigLoaderModule, configureConfigLoader } from '../src/app/config-loader.module';

export interface RunningConfigLoader {
  app: INestApplication;
  config: FlowConfig;
  url: string;
  db: TestDatabase;
  dataSource: DataSource;
  /** Calls the API with the admin key unless another key (or none: null) is given. */
  call(method: string, path: string, body?: unknown, options?: { key?: string | null; contentType?: string; raw?: string }): Promise<ApiAnswer>;
  /** Every row of every table, ordered: the database state a failed request must not change. */
  snapshot(): Promise<string>;
  /** Stops the app and keeps the database (to start again on it, e.g. with other keys). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts config-loader in-process on a fresh database of the given kind (or on `options.database`),
 * free port, private queue prefix.
 */
export async function startConfigLoader(kind: TestDatabaseKind, env: Record<string, string> = {}, options: { database?: TestDatabase } = {}): Promise<RunningConfigLoader> {
  const db = options.database ?? (await createTestDatabase(kind));
  const config = testConfig({ DATABASE_URL: db.url, FLOW_QUEUE_PREFIX: testRedisPrefix('cl'), ...env });
  const app = await startAppInProcess({ name: 'config-loader', module: ConfigLoaderModule.forRoot, configure: configureConfigLoader }, config);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const dataSource = app.get(DataSource);
  return {
    app,
    config,
    url,
    db,
    dataSource,
    call(method, path, body, options = {}) {
      return callApi(url, method, path, { key: options.key === undefined ? config.adminKey : options.key, body, raw: options.raw, contentType: options.contentType });
    },
    async snapshot() {
      const tables = ['providers', 'connectors', 'users', 'flow_meta'];
      const parts: string[] = [];
      for (const table of tables) {
        const rows = await dataSource.query(`SELECT * FROM ${table}`);
        parts.push(`${table}:${JSON.stringify(rows.map((r: object) => JSON.stringify(r)).sort())}`);
      }
      return parts.join('\n');
    },
    async stop() {
      await app.close();
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
