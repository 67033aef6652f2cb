import { randomUUID } from 'node:crypto';
import { startAppInProcess, startFlowContext } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { OAuthClient } from '@flow-oauth/oauth-client';
import { buildDataSourceOptions, ConnectorEntity, nowIso, prepareDatabase } from '@flow-oauth/persistence';
import { ProviderConfigModule, ProviderConfigurationService } from '@flow-oauth/provider-config';
import { ProviderReader } from '@flow-oauth/provider-reader';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, type OidcTestServer, waitFor, testConfig, testRedisPrefix, type TestDatabase, type TestDatabaseKind } from '@flow-oauth/testing';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { configureTokenRefresher, TokenRefresherModule } from '../src/app/token-refresher.module';

/** The redirect URI the test OAuth server knows (nothing listens there: sign-ins are driven by the test). */
export const REDIRECT = 'http://127.0.0.1:9/Thingworx/Oauths/oauth/return';

/**
 * One deployment for a token-refresher test: a fresh migrated database, a private Redis prefix (or
 * a private redis-server), and any number of token-refresher processes (Nest apps in this process)
 * sharing them, as pm2 instances or two machines would.
 */
export interface RefresherRig {
  kind: TestDatabaseKind;
  db: TestDatabase;
  config: FlowConfig;
  /** The test's own connection to the database (not the refreshers'). */
  dataSource: DataSource;
  box: SecretBox;
  tokens: ConnectorTokenStore;
  providers: ProviderReader;
  /** The test's own Redis client on the deployment's Redis. */
  redis: Redis;
  /** Loads provider settings as config-loader does (same use case, same events). */
  load(document: unknown): Promise<void>;
  /** Starts one more token-refresher on the deployment (optionally with changed settings). */
  startRefresher(change?: (config: FlowConfig) => FlowConfig): Promise<INestApplication>;
  /** Signs in at the test OAuth server with the protocol client and stores the connector as the return endpoint would. */
  signIn(oidc: OidcTestServer, providerName: string, label: string): Promise<ConnectorEntity>;
  connector(label: string): Promise<ConnectorEntity>;
  /** Waits until the connector labelled `label` satisfies `predicate` (a bound, not a speed assertion) and answers it. */
  untilConnector(label: string, predicate: (connector: ConnectorEntity) => boolean, ms?: number): Promise<ConnectorEntity>;
  close(): Promise<void>;
}

export async function startRig(kind: TestDatabaseKind, env: Record<string, string> = {}): Promise<RefresherRig> {
  const db = await createTestDatabase(kind);
  const config = testConfig({ DATABASE_URL: db.url, FLOW_QUEUE_PREFIX: testRedisPrefix('trr'), FLOW_PUBLIC_URL: 'http://127.0.0.1:9', ...env });
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  const box = new SecretBox(config.encryptionKey);
  await prepareDatabase(dataSource, box, { runMigrations: true });
  const tokens = new ConnectorTokenStore(box, config);
  const providers = new ProviderReader(dataSource, box);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const apps: INestApplication[] = [];
  // config-loader's part: the provider-settings use case with the event client (no HTTP needed).
  const loader: INestApplicationContext = await startFlowContext(config, { app: FlowApp.ConfigLoader, runMigrations: true, workQueues: false }, [ProviderConfigModule]);

  const rig: RefresherRig = {
    kind,
    db,
    config,
    dataSource,
    box,
    tokens,
    providers,
    redis,
    async load(document) {
      await loader.get(ProviderConfigurationService).load(document, { dryRun: false });
    },
    async startRefresher(change) {
      const appConfig = change ? change(config) : config;
      const app = await startAppInProcess({ name: 'token-refresher', module: TokenRefresherModule.forRoot, configure: configureTokenRefresher }, appConfig);
      apps.push(app);
      return app;
    },
    async signIn(oidc, providerName, label) {
      const provider = (await providers.all()).find((p) => p.name === providerName);
      if (!provider) throw new Error(`provider ${providerName} not loaded`);
      const client = new OAuthClient({ returnUrl: REDIRECT, env: 'production' });
      const built = client.buildAuthorizationUrl(provider, { state: randomUUID(), connectionParams: {} });
      const back = new URL(await oidc.completeAuthorization(built.url));
      const set = await client.exchangeCode(provider, { code: back.searchParams.get('code') as string, codeVerifier: built.codeVerifier, connectionParams: {}, scope: built.scope });
      const now = nowIso();
      const id = randomUUID();
      const connector = Object.assign(new ConnectorEntity(), {
        id,
        label,
        providerId: provider.id,
        type: provider.type,
        providerName: provider.name,
        owner: 'alice',
        params: '{}',
        tokenVersion: 1,
        createdAt: now,
        ...tokens.columns(id, { ...set, scope: built.scope }, null),
        metadata: '{}',
      });
      await dataSource.getRepository(ConnectorEntity).insert(connector);
      return connector;
    },
    connector: (label) => dataSource.getRepository(ConnectorEntity).findOneByOrFail({ label }),
    async untilConnector(label, predicate, ms = 20_000) {
      let last: ConnectorEntity | undefined;
      try {
        return await waitFor(`connector ${label}`, async () => {
          last = await rig.connector(label);
          return predicate(last) && last;
        }, ms, 200);
      } catch (error) {
        throw new Error(`connector ${label} did not reach the expected state: status ${last?.status}, version ${last?.tokenVersion}, ${last?.lastError} (${(error as Error).message})`);
      }
    },
    async close() {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await loader.close();
      const keys = await redis.keys(`${config.queuePrefix}:*`).catch(() => []);
      if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
      redis.disconnect();
      await dataSource.destroy();
      await db.drop();
    },
  };
  return rig;
}

export { waitFor } from '@flow-oauth/testing';

/** An odata provider pointing at the test OAuth server (or at a fault proxy in front of its token endpoint). */
export function oidcProvider(oidc: OidcTestServer, clientId: string, clientSecret: string, tokenUrl = oidc.tokenEndpoint): Record<string, unknown> {
  return {
    CLIENT_ID: clientId,
    CLIENT_SECRET: clientSecret,
    oauth2_auth_url: oidc.authorizationEndpoint,
    oauth2_token_url: tokenUrl,
    oauth2_client_auth: 'client_secret_post',
    oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline"}'],
  };
}

/** Refresh-token requests the test OAuth server saw for a client, and how many it refused as reuse (invalid_grant). */
export async function refreshCounts(oidc: OidcTestServer, clientId: string): Promise<{ refreshes: number; invalidGrant: number; invalidClient: number }> {
  const requests = (await oidc.tokenRequests()).filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token' && r.clientId === clientId);
  return {
    refreshes: requests.length,
    invalidGrant: requests.filter((r) => r.error === 'invalid_grant').length,
    invalidClient: requests.filter((r) => r.error === 'invalid_client').length,
  };
}
