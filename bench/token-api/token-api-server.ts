// The server side of `bench token-api`, run as a child of the bench (node -r ./ts-register.js):
// flow-oauth-server built exactly as the e2e harness builds it (createHttpApp + the app's module and
// configure hook, testConfig, a fresh migrated database), plus one bare route registered on the same
// Express instance before listen, a provider, a user and a connector whose token expires in an hour.
// It reports the URL, keys and connector id over IPC, then on 'stop' closes the app, drops the
// database, deletes its Redis keys and its data dir, and exits.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import { UsersService } from '@flow-oauth/api-auth';
import { createHttpApp } from '@flow-oauth/app-runtime';
import { ProviderRegistry } from '@flow-oauth/connectors';
import { buildDataSourceOptions, ConnectorEntity, prepareDatabase, ProviderEntity } from '@flow-oauth/persistence';
import { ProviderConfigurationService } from '@flow-oauth/provider-config';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, testConfig, testRedisPrefix, type TestDatabaseKind } from '@flow-oauth/testing';
import type { INestApplication } from '@nestjs/common';
import { deleteRedisKeys } from '../../tools/redis-keys';
import { DataSource } from 'typeorm';
import { configureFlowOAuthServer, FlowOAuthServerModule } from '../../apps/flow-oauth-server/src/app/flow-oauth-server.module';

export const BARE_ROUTE = '/__bench/bare';

/** What the bench needs to drive the server (sent over IPC; the keys never reach the output). */
export interface BenchTarget {
  url: string;
  serviceKey: string;
  userKey: string;
  connectorId: string;
  accessToken: string;
}

type ExpressLike = { get(path: string, handler: (req: unknown, res: { json(body: unknown): void }) => void): void };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}


async function main(kind: TestDatabaseKind): Promise<void> {
  const db = await createTestDatabase(kind);
  const port = await freePort();
  const queuePrefix = testRedisPrefix('bench-token-api');
  const config = testConfig({
    DATABASE_URL: db.url,
    FLOW_QUEUE_PREFIX: queuePrefix,
    FLOW_OAUTH_PORT: String(port),
    FLOW_PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  let app: INestApplication | undefined;
  const cleanUp = async () => {
    await app?.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await deleteRedisKeys(config.redisUrl, queuePrefix).catch(() => undefined);
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  };
  try {
    const migrator = await new DataSource(buildDataSourceOptions(config.database)).initialize();
    await prepareDatabase(migrator, new SecretBox(config.encryptionKey), { runMigrations: true });
    await migrator.destroy();

    app = await createHttpApp({ name: 'flow-oauth-server', module: FlowOAuthServerModule.forRoot, port: () => port, configure: configureFlowOAuthServer }, config);
    // The baseline: a route of the same Express instance that does nothing (no guard, no DB, no Nest pipeline).
    (app.getHttpAdapter().getInstance() as ExpressLike).get(BARE_ROUTE, (_req, res) => res.json({ ok: true }));
    await app.listen(port, '127.0.0.1');

    await app.get(ProviderConfigurationService).load({ slack: { 'Slack-Bench': { CLIENT_ID: 'bench-client', CLIENT_SECRET: 'bench-secret' } } }, { dryRun: false });
    await app.get(ProviderRegistry).reload();
    const user = await app.get(UsersService).create('bench-user');

    // A connector as the return endpoint leaves it: sealed tokens, expiring in an hour (no refresh is due).
    const dataSource = app.get(DataSource);
    const provider = await dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'slack', name: 'Slack-Bench' });
    const box = new SecretBox(config.encryptionKey);
    const id = randomUUID();
    const accessToken = `xoxb-bench-${randomUUID()}`;
    const now = new Date().toISOString();
    await dataSource.getRepository(ConnectorEntity).insert({
      id,
      label: 'BenchSlack',
      providerId: provider.id,
      type: 'slack',
      providerName: 'Slack-Bench',
      owner: user.name,
      status: 'active',
      accessToken: box.seal(accessToken, { table: 'connectors', column: 'access_token', row: id }),
      refreshToken: box.seal(`rt-${randomUUID()}`, { table: 'connectors', column: 'refresh_token', row: id }),
      tokenType: 'Bearer',
      scope: 'chat:write',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      params: '{}',
      metadata: JSON.stringify({ team: { id: 'T0BENCH', name: 'Bench' } }),
      lastError: null,
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    });

    const target: BenchTarget = { url: `http://127.0.0.1:${port}`, serviceKey: config.serviceKey, userKey: user.key, connectorId: id, accessToken };
    process.send?.({ ready: target });
  } catch (error) {
    await cleanUp();
    throw error;
  }

  await new Promise<void>((resolve) => {
    process.on('message', (message) => message === 'stop' && resolve());
    process.once('disconnect', resolve); // the bench died: clean up anyway
  });
  await cleanUp();
}

const kind = (process.argv[2] ?? 'sqlite') as TestDatabaseKind;
main(kind).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
