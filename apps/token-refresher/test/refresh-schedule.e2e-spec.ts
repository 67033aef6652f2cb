import { randomUUID } from 'node:crypto';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { QueueName } from '@flow-oauth/queue-contracts';
import { bullConnectionOptions } from '@flow-oauth/redis';
import { startOidcTestServer, startPrivateRedis, startTcpProxy, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { RefreshProducer, RefreshSweep, SWEEP_BATCH } from '@flow-oauth/token-refresh';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { oidcProvider, REDIRECT, refreshCounts, type RefresherRig, startRig, waitFor } from './refresher-rig';

const HOUR = 3600_000;

/**
 * The schedule's cost follows the due work: the sweep reads only connectors due before its horizon
 * (indexed next_refresh_at) and re-creates their jobs in a few Redis round trips, whatever the size
 * of the table; and it heals lost Redis state without depending on anything that state held.
 */
describe.each(TEST_DATABASE_KINDS)('refresh schedule on %s', (kind) => {
  let rig: RefresherRig;

  beforeAll(async () => {
    rig = await startRig(kind);
    await rig.load({
      slack: { 'Slack-Ok': { CLIENT_ID: 'ok', CLIENT_SECRET: 'ok-secret' }, 'Slack-Rejected': { CLIENT_ID: 'rj', CLIENT_SECRET: 'rj-secret' } },
      trello: { 'Trello-1': { CONSUMER_KEY: 'tk', CONSUMER_SECRET: 'ts' } },
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  /** Stores connectors directly (sealed placeholder tokens), `count` at a time in one insert per chunk. */
  async function insertConnectors(count: number, provider: string, nextRefreshAt: (i: number) => string | null, status: ConnectorEntity['status'] = 'active', tag = randomUUID().slice(0, 8)): Promise<string[]> {
    const p = await rig.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: provider });
    const now = new Date().toISOString();
    // The sweep never opens tokens: one placeholder (bound to no real row) serves every inserted connector.
    const sealed = rig.box.seal('placeholder-token', { table: 'connectors', column: 'access_token', row: 'placeholder' });
    const rows = Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      label: `C_${tag}_${i}`,
      providerId: p.id,
      type: p.type,
      providerName: p.name,
      owner: 'alice',
      status,
      accessToken: sealed,
      refreshToken: sealed,
      tokenType: 'Bearer',
      scope: null,
      expiresAt: new Date(Date.now() + 30 * 24 * HOUR).toISOString(),
      nextRefreshAt: nextRefreshAt(i),
      params: '{}',
      metadata: '{}',
      lastError: null,
      tokenVersion: 1,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < rows.length; i += 200) await rig.dataSource.getRepository(ConnectorEntity).insert(rows.slice(i, i + 200));
    return rows.map((r) => r.id);
  }

  const past = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const later = (days: number) => new Date(Date.now() + days * 24 * HOUR).toISOString();

  it('reads only the connectors due before its horizon and re-creates their missing jobs; ten times more idle connectors cost it nothing more', async () => {
    const rejected = await rig.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'Slack-Rejected' });
    await rig.dataSource.getRepository(ProviderEntity).update({ id: rejected.id }, { state: 'credentials_rejected', rejectedAt: new Date().toISOString(), rejectedError: 'invalid_client' });
    await insertConnectors(1900, 'Slack-Ok', (i) => later(1 + (i % 20)));
    await insertConnectors(40, 'Slack-Ok', () => null);
    const dueActive = await insertConnectors(30, 'Slack-Ok', (i) => past(i));
    const dueFailed = await insertConnectors(10, 'Slack-Ok', (i) => past(i), 'refresh_failed');
    await insertConnectors(10, 'Slack-Ok', (i) => past(i), 'needs_reauth');
    await insertConnectors(10, 'Slack-Rejected', (i) => past(i));
    const sweep = new RefreshSweep(rig.dataSource, rig.producer, rig.providers, rig.config);

    const first = await sweep.run();
    expect(first).toEqual({ read: 40, recreated: 40, cleared: 0 });
    for (const id of [...dueActive, ...dueFailed]) {
      const job = await rig.queue.getJob(RefreshProducer.jobId(id, 1));
      expect(job?.data).toMatchObject({ connectorId: id, reason: 'sweep' });
      expect(job?.opts.delay).toBe(0);
    }
    // Nothing missing now: the same rows are read, nothing is re-created.
    expect(await sweep.run()).toEqual({ read: 40, recreated: 0, cleared: 0 });

    // Ten times the connectors that are not due: the sweep reads exactly as many rows as before.
    await insertConnectors(18_000, 'Slack-Ok', (i) => later(1 + (i % 30)));
    expect(await sweep.run()).toEqual({ read: 40, recreated: 0, cleared: 0 });

    if (kind === 'sqlite') {
      // The statement walks the next_refresh_at index, not the table.
      const plan = (await rig.dataSource.query(`EXPLAIN QUERY PLAN ${(sweep as unknown as { sql: string }).sql}`, [past(-2), '', '', ''])) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/SEARCH c USING INDEX ix_connectors_next_refresh_at \(next_refresh_at>\? AND next_refresh_at<\?\)/);
    }
  });

  it('takes a connector of a provider that never refreshes (OAuth 1.0a) off the schedule for good', async () => {
    await insertConnectors(3, 'Trello-1', (i) => past(i));
    const sweep = new RefreshSweep(rig.dataSource, rig.producer, rig.providers, rig.config);
    const once = await sweep.run();
    expect(once.cleared).toBe(3);
    const again = await sweep.run();
    expect(again.cleared).toBe(0);
    expect(again.read).toBe(once.read - 3);
  });

  it('checks and re-creates the jobs of many due connectors in a few Redis round trips, not one per connector', async () => {
    const due = 3 * SWEEP_BATCH + 17;
    const ids = await insertConnectors(due, 'Slack-Ok', (i) => past(30 + (i % 50)));
    // The sweep's Redis traffic goes through a proxy that counts round trips.
    const target = new URL(rig.config.redisUrl);
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
    const viaProxy = proxy.urlThrough(rig.config.redisUrl);
    const queue = new Queue(QueueName.TokenRefresh, { connection: bullConnectionOptions(viaProxy), prefix: rig.config.queuePrefix });
    const redis = new Redis(viaProxy, { maxRetriesPerRequest: null });
    try {
      await queue.getJobCounts();
      await redis.ping();
      const sweep = new RefreshSweep(rig.dataSource, new RefreshProducer(queue as never, rig.config, redis), rig.providers, rig.config);
      proxy.resetTurns();
      const result = await sweep.run();
      const turns = proxy.turns();
      expect(result.recreated).toBe(due);
      for (const id of [ids[0], ids[due - 1]]) expect(await rig.queue.getJob(RefreshProducer.jobId(id, 1))).toBeDefined();
      // Per batch of SWEEP_BATCH: one pipeline reading job states, one addBulk (and at start a script load).
      const batches = Math.ceil((result.read + 1) / SWEEP_BATCH);
      console.log(`sweep of ${result.read} due connectors (${result.recreated} jobs re-created): ${turns} Redis round trips`);
      expect(turns).toBeLessThanOrEqual(batches * 3 + 4);
    } finally {
      await queue.close();
      redis.disconnect();
      await proxy.stop();
    }
  });
});

describe.each(TEST_DATABASE_KINDS)('background refresh after Redis lost its data (FLUSHDB of a private redis-server) on %s', (kind) => {
  it('resumes by itself, with no restart: the next sweep re-creates every lost job', async () => {
    const redis = await startPrivateRedis();
    // Tokens live 4 s: refreshed every 2 s (half life); the sweep runs every second.
    const oidc = await startOidcTestServer({
      clients: [{ clientId: 'flush-client', clientSecret: 'flush-secret-77', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 4,
    });
    const rig = await startRig(kind, { REDIS_URL: redis.url, REFRESH_SWEEP_SECONDS: '1' });
    try {
      await rig.load({ odata: { 'OIDC-Flush': oidcProvider(oidc, 'flush-client', 'flush-secret-77') } });
      const labels = ['Flush_1', 'Flush_2', 'Flush_3', 'Flush_4', 'Flush_5'];
      for (const label of labels) await rig.signIn(oidc, 'OIDC-Flush', label);
      await rig.startRefresher();
      const versions = async () => Promise.all(labels.map(async (l) => (await rig.connector(l)).tokenVersion));
      await waitFor('every connector refreshed once', async () => (await versions()).every((v) => v >= 2));

      await redis.flushdb();
      const flushedAt = Date.now();
      expect(await rig.queue.getJobCounts('delayed', 'waiting', 'active')).toEqual({ delayed: 0, waiting: 0, active: 0 });
      const atFlush = await versions();
      // Two more refreshes each: the schedule itself is back, not just one job.
      await waitFor('every connector refreshed twice after the flush', async () => (await versions()).every((v, i) => v >= atFlush[i] + 2), 40_000);
      console.log(`${kind}: background refresh resumed ${Date.now() - flushedAt} ms after FLUSHDB (sweep every 1 s, tokens of 4 s)`);
      for (const label of labels) expect(await rig.connector(label)).toMatchObject({ status: 'active', lastError: null });
      expect(await refreshCounts(oidc, 'flush-client')).toMatchObject({ invalidGrant: 0, invalidClient: 0 });
    } finally {
      await rig.close();
      await oidc.stop();
      await redis.stop();
    }
  });
});
