import { type DynamicModule, type INestApplication, type INestApplicationContext, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { FlowConfig } from '@flow-oauth/config';
import { buildDataSourceOptions, prepareDatabase } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { DataSource } from 'typeorm';
import { createHttpApp, type HttpAppSpec } from './bootstrap';
import { FlowRuntimeModule, type FlowRuntimeOptions } from './flow-runtime.module';

// Apps started inside another process: the test harnesses and the token-api bench start the apps this
// way, the same way main.ts does (createHttpApp), so none of them copies the start-up.

/** Migrates the configuration's database as config-loader does at start; the other apps then wait for nothing. */
export async function migrateDatabase(config: FlowConfig): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  try {
    await prepareDatabase(dataSource, new SecretBox(config.encryptionKey), { runMigrations: true });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Starts an app in this process as its main.ts builds it, listening on 127.0.0.1 (`port` 0: a free
 * one; the app's URL is `app.getUrl()`). `migrate` first migrates the database (for the apps that do
 * not run the migrations themselves).
 */
export async function startAppInProcess(spec: Omit<HttpAppSpec, 'port'>, config: FlowConfig, options: { port?: number; migrate?: boolean } = {}): Promise<INestApplication> {
  if (options.migrate) await migrateDatabase(config);
  const port = options.port ?? 0;
  const app = await createHttpApp({ ...spec, port: () => port }, config);
  await app.listen(port, '127.0.0.1');
  return app;
}

/**
 * One process's use cases without HTTP: FlowRuntimeModule (configuration, database, Redis, the event
 * client) and the given modules. A test of one app uses it for another app's part, e.g. config-loader's
 * ProviderConfigModule to load providers for a flow-oauth-server or token-refresher test.
 */
export async function startFlowContext(config: FlowConfig, runtime: FlowRuntimeOptions, imports: Array<Type | DynamicModule>): Promise<INestApplicationContext> {
  @Module({})
  class FlowContextModule {}
  return NestFactory.createApplicationContext({ module: FlowContextModule, imports: [FlowRuntimeModule.forRoot(config, runtime), ...imports] });
}
