import { randomUUID } from 'node:crypto';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { startOidcTestServer, startPrivateRedis, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { DueRefreshLoop } from '@flow-oauth/token-refresh';
import { oidcProvider, REDIRECT, refreshCounts, type RefresherRig, startRig, waitFor } from './refresher-rig';

const HOUR = 3600_000;

/**
 * The schedule's cost follows the due work: each token-refresher reads only the connectors due now
 * (indexed next_refresh_at), whatever the size of the table; and the schedule lives in the database,
 * so lost Redis state stops nothing.
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

  it('reads only the connectors due now that may be tried (not waiting for a retry, provider not rejected); ten times more idle connectors cost it nothing more', async () => {
    const rejected = await rig.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'Slack-Rejected' });
    await rig.dataSource.getRepository(ProviderEntity).update({ id: rejected.id }, { state: 'credentials_rejected', rejectedAt: new Date().toISOString(), rejectedError: 'invalid_client' });
    await insertConnectors(1900, 'Slack-Ok', (i) => later(1 + (i % 20)));
    await insertConnectors(40, 'Slack-Ok', () => null);
    const dueActive = await insertConnectors(30, 'Slack-Ok', (i) => past(i));
    const dueFailed = await insertConnectors(10, 'Slack-Ok', (i) => past(i), 'refresh_failed');
    await insertConnectors(10, 'Slack-Ok', (i) => past(i), 'needs_reauth');
    await insertConnectors(10, 'Slack-Rejected', (i) => past(i));
    const retrying = await insertConnectors(5, 'Slack-Ok', (i) => past(i));
    const retryLater = new Date(Date.now() + 60_000).toISOString();
    for (const id of retrying) await rig.dataSource.getRepository(ConnectorEntity).update({ id }, { refreshAttempts: 1, refreshRetryAt: retryLater });
    // The read alone (no refresher runs here, nothing is refreshed).
    const loop = new DueRefreshLoop(rig.dataSource, undefined as never, rig.config);
    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();

    const first = await loop.readDue(Date.now(), 1000);
    expect(ids(first)).toEqual([...dueActive, ...dueFailed].sort());
    // The longest overdue first, and a limit is a limit.
    expect(first.map((r) => r.nextRefreshAt)).toEqual([...first.map((r) => r.nextRefreshAt)].sort());
    expect(await loop.readDue(Date.now(), 7)).toHaveLength(7);
    // Waiting for a retry: out of the range (a thousand of them cost the read nothing), in order once its time has come.
    expect((await loop.readDue(Date.now(), 1000)).map((r) => r.id)).not.toContain(retrying[0]);
    expect(ids(await loop.readDue(Date.now() + 61_000, 1000))).toEqual([...dueActive, ...dueFailed, ...retrying].sort());

    // Ten times the connectors that are not due: the same rows are read.
    await insertConnectors(18_000, 'Slack-Ok', (i) => later(1 + (i % 30)));
    expect(ids(await loop.readDue(Date.now(), 1000))).toEqual([...dueActive, ...dueFailed].sort());

    if (kind === 'sqlite') {
      // The statement walks the next_refresh_at index, not the table.
      const at = new Date().toISOString();
      const plan = (await rig.dataSource.query(`EXPLAIN QUERY PLAN ${loop.dueSql}`, [at, at, at, at, 100])) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/SEARCH connectors USING INDEX ix_connectors_refresh_due \(<expr><\?\)/);
    }
  });
});

describe.each(TEST_DATABASE_KINDS)('background refresh after Redis lost its data (FLUSHDB of a private redis-server) on %s', (kind) => {
  it('goes on by itself, with no restart: the schedule is in the database', async () => {
    const redis = await startPrivateRedis();
    // Tokens live 4 s: refreshed every 2 s (half life).
    const oidc = await startOidcTestServer({
      clients: [{ clientId: 'flush-client', clientSecret: 'flush-secret-77', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 4,
    });
    const rig = await startRig(kind, { REDIS_URL: redis.url });
    try {
      await rig.load({ odata: { 'OIDC-Flush': oidcProvider(oidc, 'flush-client', 'flush-secret-77') } });
      const labels = ['Flush_1', 'Flush_2', 'Flush_3', 'Flush_4', 'Flush_5'];
      for (const label of labels) await rig.signIn(oidc, 'OIDC-Flush', label);
      await rig.startRefresher();
      const versions = async () => Promise.all(labels.map(async (l) => (await rig.connector(l)).tokenVersion));
      await waitFor('every connector refreshed once', async () => (await versions()).every((v) => v >= 2));

      await redis.flushdb();
      const flushedAt = Date.now();
      const atFlush = await versions();
      // Two more refreshes each: the schedule goes on, not just one refresh.
      await waitFor('every connector refreshed twice after the flush', async () => (await versions()).every((v, i) => v >= atFlush[i] + 2), 40_000);
      console.log(`${kind}: background refresh resumed ${Date.now() - flushedAt} ms after FLUSHDB (tokens of 4 s)`);
      for (const label of labels) expect(await rig.connector(label)).toMatchObject({ status: 'active', lastError: null });
      expect(await refreshCounts(oidc, 'flush-client')).toMatchObject({ invalidGrant: 0, invalidClient: 0 });
    } finally {
      await rig.close();
      await oidc.stop();
      await redis.stop();
    }
  });
});
