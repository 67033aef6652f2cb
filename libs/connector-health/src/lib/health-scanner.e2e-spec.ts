import { randomUUID } from 'node:crypto';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { AuditTrail, parseAuditFilter } from '@flow-oauth/audit';
import { ConnectorEntity, nowIso, ProviderEntity } from '@flow-oauth/persistence';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, TEST_DATABASE_KINDS, testConfig, testRedisPrefix, type TestDatabase } from '@flow-oauth/testing';
import { ConnectorTokenStore, REFRESH_RETRY, TokenRefreshService } from '@flow-oauth/token-refresh';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ConnectorHealthModule } from './connector-health.module';
import { HealthScanner } from './health-scanner';
import { ReauthWarnings } from './reauth-warnings';

/**
 * The scanner and the token write in a token-refresher's module graph, on a real database and Redis:
 * per-provider check rate, checks of providers without a validate endpoint and of expired tokens (no
 * provider call needed), the once-per-grant warning under concurrent scans, `connector.recovered`
 * and `connector.refresh_failed` where the status changes.
 */
describe.each(TEST_DATABASE_KINDS)('health scanner and token writes on %s', (kind) => {
  let db: TestDatabase;
  let config: FlowConfig;
  let context: INestApplicationContext;
  let dataSource: DataSource;
  let redis: Redis;
  const providerId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    config = testConfig({ DATABASE_URL: db.url, FLOW_QUEUE_PREFIX: testRedisPrefix('hs'), FLOW_HEALTH_CHECKS_PER_MINUTE: '2', FLOW_HEALTH_CHECK_INTERVAL_SECONDS: '3600', FLOW_REAUTH_WARNING_SECONDS: '600' });
    @Module({ imports: [FlowRuntimeModule.forRoot(config, { app: FlowApp.TokenRefresher, runMigrations: true, workQueues: true }), ConnectorHealthModule] })
    class TestModule {}
    context = await NestFactory.createApplicationContext(TestModule, { logger: false });
    dataSource = context.get(DataSource);
    redis = new Redis(config.redisUrl);
    const now = nowIso();
    // A generic provider with no VALIDATE_URL: nothing to check against.
    await dataSource.getRepository(ProviderEntity).insert({
      id: providerId,
      type: 'odata',
      name: 'NoValidate',
      settings: JSON.stringify({ CLIENT_ID: 'c', AUTH_URL: 'http://127.0.0.1:9/auth', TOKEN_URL: 'http://127.0.0.1:9/token' }),
      secrets: context.get(SecretBox).sealJson({ CLIENT_SECRET: 's' }, { table: 'providers', column: 'secrets', row: providerId }),
      fingerprint: 'f',
      createdAt: now,
      updatedAt: now,
    });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${config.queuePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await context?.close();
    await db?.drop();
  });

  async function addConnector(change: Partial<ConnectorEntity> = {}): Promise<ConnectorEntity> {
    const id = randomUUID();
    const now = nowIso();
    const connector = Object.assign(new ConnectorEntity(), {
      id,
      label: `C_${id.slice(0, 8)}`,
      providerId,
      type: 'odata',
      providerName: 'NoValidate',
      owner: 'alice',
      params: '{}',
      metadata: '{}',
      tokenVersion: 1,
      createdAt: now,
      ...context.get(ConnectorTokenStore).columns(id, { accessToken: `at-${id}`, refreshToken: `rt-${id}`, tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3_600_000), metadata: {} }, null),
      ...change,
    });
    await dataSource.getRepository(ConnectorEntity).insert(connector);
    return connector;
  }
  const read = (id: string) => dataSource.getRepository(ConnectorEntity).findOneByOrFail({ id });
  const audit = (query: Record<string, string>) => context.get(AuditTrail).query(parseAuditFilter(query));

  it("checks at most FLOW_HEALTH_CHECKS_PER_MINUTE of a provider's connectors a minute and defers the rest a minute", async () => {
    const connectors = await Promise.all([1, 2, 3, 4, 5].map(() => addConnector()));
    const now = Date.now();
    const result = await context.get(HealthScanner).run(now);
    expect([result.checked, result.deferred]).toEqual([2, 3]);
    const rows = await Promise.all(connectors.map((c) => read(c.id)));
    const checked = rows.filter((r) => r.lastCheckedAt !== null);
    expect(checked.map((r) => [r.health, r.healthDetail])).toEqual([
      ['not_checked', 'the provider has no validation endpoint'],
      ['not_checked', 'the provider has no validation endpoint'],
    ]);
    // Checked ones wait a check interval; deferred ones a minute.
    expect(checked.map((r) => Date.parse(r.nextCheckAt as string) - now)).toEqual([3_600_000, 3_600_000]);
    expect(rows.filter((r) => r.lastCheckedAt === null).map((r) => Date.parse(r.nextCheckAt as string) - now)).toEqual([60_000, 60_000, 60_000]);
    // Nothing is due now: a second scan checks nothing.
    expect((await context.get(HealthScanner).run(now)).checked).toBe(0);
  });

  it('shows an expired token as unknown until its refresh, without asking the provider', async () => {
    await redis.del(...(await redis.keys(`${config.queuePrefix}:health-checks:*`)));
    const expired = await addConnector({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    await dataSource.getRepository(ProviderEntity).update({ id: providerId }, { settings: JSON.stringify({ CLIENT_ID: 'c', AUTH_URL: 'http://127.0.0.1:9/auth', TOKEN_URL: 'http://127.0.0.1:9/token', VALIDATE_URL: 'http://127.0.0.1:9/me' }) });
    try {
      await context.get(HealthScanner).run(Date.now() + 120_000);
      expect(await read(expired.id)).toMatchObject({ health: 'unknown', healthDetail: 'the access token has expired; it is checked again after its refresh' });
    } finally {
      await dataSource.getRepository(ProviderEntity).update({ id: providerId }, { settings: JSON.stringify({ CLIENT_ID: 'c', AUTH_URL: 'http://127.0.0.1:9/auth', TOKEN_URL: 'http://127.0.0.1:9/token' }) });
    }
  });

  it('sends connector.reauth_due once per grant however many scans run at once, and again for a new grant', async () => {
    const due = new Date(Date.now() + 300_000).toISOString();
    const c = await addConnector({ reauthDueAt: due, reauthDueBasis: 'provider' });
    const later = await addConnector({ reauthDueAt: new Date(Date.now() + 3_600_000).toISOString(), reauthDueBasis: 'idle_limit' });
    const warnings = context.get(ReauthWarnings);
    const sent = await Promise.all([warnings.run(), warnings.run(), warnings.run()]);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await warnings.run()).toBe(0);
    const entries = await audit({ type: 'connector.reauth_due' });
    expect(entries.map((e) => [e.subject, e.detail['reauthDueAt'], e.detail['basis']])).toEqual([[`connector:${c.id}`, due, 'provider']]);
    expect(entries.some((e) => e.subject === `connector:${later.id}`)).toBe(false);
    // A new grant has a new date: it is warned about again.
    const next = new Date(Date.now() + 400_000).toISOString();
    await dataSource.getRepository(ConnectorEntity).update({ id: c.id }, { reauthDueAt: next });
    expect(await warnings.run()).toBe(1);
  });

  it('a token write into a needs_reauth connector (Reconnect) makes it active and records connector.recovered', async () => {
    const refresher = context.get(TokenRefreshService);
    const c = await addConnector({ status: 'needs_reauth', lastError: 'invalid_grant', nextRefreshAt: null });
    const written = await refresher.writeTokenSet(await read(c.id), { accessToken: 'at-new', refreshToken: 'rt-new', tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3_600_000), metadata: {} }, { newGrant: true });
    expect(written).toMatchObject({ status: 'active', lastError: null, tokenVersion: 2 });
    expect(context.get(ConnectorTokenStore).open(await read(c.id))).toEqual({ accessToken: 'at-new', refreshToken: 'rt-new' });
    const [entry] = await audit({ subject: `connector:${c.id}` });
    expect([entry.type, entry.actor, entry.detail['previousStatus']]).toEqual(['connector.recovered', 'system', 'needs_reauth']);
  });

  it('a refresh landing while the connector turned refresh_failed under it still writes its tokens, and tells it was refresh_failed (for connector.recovered)', async () => {
    const c = await addConnector();
    const asRead = await read(c.id);
    // The last background attempt's failure, recorded between this refresh's read and its write.
    await context.get(TokenRefreshService).recordBackgroundFailure({ id: c.id, tokenVersion: asRead.tokenVersion, refreshAttempts: REFRESH_RETRY.attempts - 1 }, new Error('provider down for an hour'));
    expect((await read(c.id)).status).toBe('refresh_failed');
    const { previousStatus, connector } = await context.get(ConnectorTokenStore).writeTokenSet(dataSource.manager, asRead, { accessToken: 'at-2', tokenType: 'Bearer', expiresAt: null, metadata: {} }, `rt-${c.id}`);
    expect(previousStatus).toBe('refresh_failed');
    expect((await read(c.id)).status).toBe('active');
    expect(connector.tokenVersion).toBe(2);
    expect((await audit({ subject: `connector:${c.id}` })).map((e) => [e.type, e.detail['reason']])).toEqual([['connector.refresh_failed', 'Error: provider down for an hour']]);
    // A write of a version someone else replaced fails and changes nothing.
    await expect(context.get(ConnectorTokenStore).writeTokenSet(dataSource.manager, asRead, { accessToken: 'at-3', tokenType: 'Bearer', expiresAt: null, metadata: {} }, null)).rejects.toThrow('changed concurrently');
  });
});
