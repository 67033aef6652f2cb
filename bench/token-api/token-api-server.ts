// The server side of `bench token-api`, run as a child of the bench (node -r ./ts-register.js):
// flow-oauth-server built exactly as the e2e harness builds it (createHttpApp + the app's module and
// configure hook, testConfig), plus the bare route `GET /__bench/bare` (BenchServerModule below).
//
// Two roles (argv: <sqlite|postgres> [primary|sibling]):
// - primary: migrates a fresh database, loads the providers, creates a user and a connector whose
//   token expires in an hour, and reports the URL, keys, connector id and deployment over IPC; then
//   answers the bench's commands (create a connector or a user, purge, delete a user, a refresh that
//   ends in needs_reauth), so the bench can change state on this instance and watch another one.
// - sibling: a second flow-oauth-server instance of the same deployment (same database, keys and Redis
//   prefix, which the bench passes over IPC), as pm2 `instances: 2` or a second machine would run it.
//   This is the one the bench measures: it only serves.
// On 'stop' each closes its app; the primary also drops the database, deletes its Redis keys and its
// data dir. Both exit when the bench goes away.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { UsersService } from '@flow-oauth/api-auth';
import { migrateDatabase, startAppInProcess, startFlowContext } from '@flow-oauth/app-runtime';
import { ProviderRegistry } from '@flow-oauth/connectors';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { ProviderConfigModule, ProviderConfigurationService } from '@flow-oauth/provider-config';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, freePort, testConfig, testRedisPrefix, type TestDatabaseKind } from '@flow-oauth/testing';
import { TokenRefreshService } from '@flow-oauth/token-refresh';
import { type DynamicModule, type INestApplication, type INestApplicationContext, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import type { FlowConfig } from '@flow-oauth/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deleteRedisKeys } from '../../tools/redis-keys';
import { DataSource } from 'typeorm';
import { configureFlowOAuthServer, FlowOAuthServerModule } from '../../apps/flow-oauth-server/src/app/flow-oauth-server.module';

export const BARE_ROUTE = '/__bench/bare';

/** What the bench needs to drive the server (sent over IPC; the keys never reach the output). */
export interface BenchTarget {
  url: string;
  adminKey: string;
  serviceKey: string;
  userKey: string;
  connectorId: string;
  accessToken: string;
  /** What a sibling instance needs to join the same deployment. */
  deployment: Record<string, string>;
}

/** A command from the bench to the primary, answered with `{ reply: id, result | error }`. */
type Command =
  | { id: number; op: 'connector'; owner: string; provider: 'slack' | 'odata' }
  | { id: number; op: 'purge'; owner: string }
  | { id: number; op: 'needsReauth'; connectorId: string }
  | { id: number; op: 'createUser'; name: string }
  | { id: number; op: 'deleteUser'; name: string };

/**
 * flow-oauth-server plus the baseline: `GET /__bench/bare` answered by a Nest middleware of this root
 * module. Nest mounts middleware of the root module after that of the modules it imports, so a bare
 * request goes through exactly what a token request goes through before Nest's routes (helmet, the
 * access log and HTTP metrics middleware, the same Express router) and nothing else: no guard, no
 * controller, no database.
 */
@Module({})
class BenchServerModule implements NestModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return { module: BenchServerModule, imports: [FlowOAuthServerModule.forRoot(config)] };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(bareRoute).forRoutes({ path: BARE_ROUTE, method: RequestMethod.GET });
  }
}

function bareRoute(_req: IncomingMessage, res: ServerResponse & { json(body: unknown): void }): void {
  res.json({ ok: true });
}

/** A provider token endpoint that refuses every refresh token (invalid_grant): the connector's grant was revoked. */
async function startRevokedGrantEndpoint(): Promise<{ server: Server; url: string }> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'grant revoked' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

function startApp(config: ReturnType<typeof testConfig>, port: number): Promise<INestApplication> {
  return startAppInProcess({ name: 'flow-oauth-server', module: BenchServerModule.forRoot, configure: configureFlowOAuthServer }, config, { port });
}

/** Waits for 'stop' from the bench (or the bench going away). */
function stopRequested(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.on('message', (message) => message === 'stop' && resolve());
    process.once('disconnect', resolve); // the bench died: clean up anyway
  });
}

async function primary(kind: TestDatabaseKind): Promise<void> {
  const db = await createTestDatabase(kind);
  const port = await freePort();
  const queuePrefix = testRedisPrefix('bench-token-api');
  const deployment: Record<string, string> = { DATABASE_URL: db.url, FLOW_QUEUE_PREFIX: queuePrefix };
  const config = testConfig({ ...deployment, FLOW_OAUTH_PORT: String(port), FLOW_PUBLIC_URL: `http://127.0.0.1:${port}` });
  Object.assign(deployment, { FLOW_ADMIN_KEY: config.adminKey, FLOW_SERVICE_KEY: config.serviceKey, FLOW_ENCRYPTION_KEY: config.encryptionKey.toString('base64') });
  const revoked = await startRevokedGrantEndpoint();
  let app: INestApplication | undefined;
  let loader: INestApplicationContext | undefined;
  const cleanUp = async () => {
    await app?.close().catch(() => undefined);
    await loader?.close().catch(() => undefined);
    revoked.server.close();
    await db.drop().catch(() => undefined);
    await deleteRedisKeys(config.redisUrl, queuePrefix).catch(() => undefined);
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  };
  try {
    await migrateDatabase(config);
    app = await startApp(config, port);
    const running = app;
    // config-loader's part (flow-oauth-server has no provider-settings use case): load and purge.
    loader = await startFlowContext(config, { app: FlowApp.ConfigLoader, runMigrations: false, workQueues: true }, [ProviderConfigModule]);
    const settings = loader.get(ProviderConfigurationService);

    await settings.load(
      {
        slack: { 'Slack-Bench': { CLIENT_ID: 'bench-client', CLIENT_SECRET: 'bench-secret' } },
        // No revocation endpoint (a delete calls nothing), and a token endpoint that answers invalid_grant.
        odata: { 'Odata-Bench': { CLIENT_ID: 'bench-client', CLIENT_SECRET: 'bench-secret', AUTH_URL: `${revoked.url}/authorize`, TOKEN_URL: `${revoked.url}/token` } },
      },
      { dryRun: false },
    );
    await running.get(ProviderRegistry).reload();
    const user = await running.get(UsersService).create('bench-user');

    const dataSource = running.get(DataSource);
    const box = new SecretBox(config.encryptionKey);
    const providers = {
      slack: await dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'slack', name: 'Slack-Bench' }),
      odata: await dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'odata', name: 'Odata-Bench' }),
    };
    /** A connector as the return endpoint leaves it: sealed tokens, expiring in an hour (no refresh is due). */
    const insertConnector = async (owner: string, type: 'slack' | 'odata'): Promise<{ id: string; accessToken: string }> => {
      const id = randomUUID();
      const accessToken = `bench-at-${randomUUID()}`;
      const now = new Date().toISOString();
      const expires = Date.now() + 3600_000;
      await dataSource.getRepository(ConnectorEntity).insert({
        id,
        label: `Bench_${id.slice(0, 8)}`,
        providerId: providers[type].id,
        type,
        providerName: providers[type].name,
        owner,
        status: 'active',
        accessToken: box.seal(accessToken, { table: 'connectors', column: 'access_token', row: id }),
        refreshToken: box.seal(`rt-${randomUUID()}`, { table: 'connectors', column: 'refresh_token', row: id }),
        tokenType: 'Bearer',
        scope: 'chat:write',
        expiresAt: new Date(expires).toISOString(),
        nextRefreshAt: new Date(expires - config.refreshMarginSeconds * 1000).toISOString(),
        params: '{}',
        metadata: JSON.stringify({ team: { id: 'T0BENCH', name: 'Bench' } }),
        lastError: null,
        tokenVersion: 1,
        createdAt: now,
        updatedAt: now,
      });
      return { id, accessToken };
    };
    const connector = await insertConnector(user.name, 'slack');

    const run = async (command: Command): Promise<unknown> => {
      switch (command.op) {
        case 'connector':
          return (await insertConnector(command.owner, command.provider)).id;
        case 'purge':
          return settings.purgeTokens('odata', 'Odata-Bench', command.owner);
        case 'needsReauth':
          // What token-refresher does when the provider refuses the refresh token (invalid_grant).
          return (await running.get(TokenRefreshService).refreshConnector(command.connectorId, 'force')).status;
        case 'createUser':
          return (await running.get(UsersService).create(command.name)).key;
        case 'deleteUser':
          return running.get(UsersService).delete(command.name);
      }
    };
    process.on('message', (message: Command | 'stop') => {
      if (message === 'stop' || typeof message !== 'object' || !('op' in message)) return;
      run(message).then(
        (result) => process.send?.({ reply: message.id, result }),
        (error: unknown) => process.send?.({ reply: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
    });

    const target: BenchTarget = { url: `http://127.0.0.1:${port}`, adminKey: config.adminKey, serviceKey: config.serviceKey, userKey: user.key, connectorId: connector.id, accessToken: connector.accessToken, deployment };
    process.send?.({ ready: target });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  await stopRequested();
  await cleanUp();
}

async function sibling(): Promise<void> {
  const deployment = await new Promise<Record<string, string>>((resolve) => {
    process.on('message', (message: { deployment?: Record<string, string> }) => message?.deployment && resolve(message.deployment));
  });
  const port = await freePort();
  const config = testConfig({ ...deployment, FLOW_OAUTH_PORT: String(port), FLOW_PUBLIC_URL: `http://127.0.0.1:${port}` });
  const app = await startApp(config, port);
  process.send?.({ ready: { url: `http://127.0.0.1:${port}` } });
  await stopRequested();
  await app.close().catch(() => undefined);
  fs.rmSync(config.dataDir, { recursive: true, force: true });
}

const kind = (process.argv[2] ?? 'sqlite') as TestDatabaseKind;
(process.argv[3] === 'sibling' ? sibling() : primary(kind)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
