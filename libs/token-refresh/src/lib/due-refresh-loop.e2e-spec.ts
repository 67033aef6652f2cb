import { randomBytes, randomUUID } from 'node:crypto';
import { buildDataSourceOptions, ConnectorEntity, prepareDatabase, ProviderEntity } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, TEST_DATABASE_KINDS, testConfig, type TestDatabase, waitFor } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { LockTimeoutError } from './connector-lock';
import { ConnectorSql } from './connector-sql';
import { DueRefreshLoop, REFRESH_CLAIM_MS, type RefreshRecord } from './due-refresh-loop';
import { RefreshStorageError } from './refresh-errors';
import type { RefreshOutcome, TokenRefreshService } from './token-refresh.service';

/**
 * The due-refresh loop's claims against a real database. The refresh function itself is replaced
 * by a script (it is THE refresh, tested against a real OAuth server elsewhere): here only what
 * the loop does with its outcomes counts: which claims it ends, moves and extends, and what it
 * starts while others are in flight.
 */
describe.each(TEST_DATABASE_KINDS)('DueRefreshLoop claims on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  let providerId: string;
  const loops: DueRefreshLoop[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: true });
    const now = iso(Date.now());
    providerId = randomUUID();
    await ds.getRepository(ProviderEntity).insert({ id: providerId, type: 'odata', name: 'P', settings: '{}', secrets: 'x', fingerprint: 'f', state: 'ok', rejectedAt: null, rejectedError: null, createdAt: now, updatedAt: now });
  });
  afterEach(async () => {
    for (const loop of loops.splice(0)) await loop.stop();
    await ds.getRepository(ConnectorEntity).clear();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** A stored active connector due at `dueAt` (null: not scheduled). */
  async function connector(label: string, dueAt: number | null): Promise<string> {
    const id = randomUUID();
    const now = iso(Date.now());
    await ds.getRepository(ConnectorEntity).insert({
      id, label, providerId, type: 'odata', providerName: 'P', owner: 'u', status: 'active', accessToken: null, refreshToken: null, tokenType: 'Bearer', scope: null,
      expiresAt: null, nextRefreshAt: dueAt === null ? null : iso(dueAt), params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: now,
    });
    return id;
  }

  /** A loop of one process whose refreshes do what `refresh` says (the calls are recorded). */
  function startLoop(refresh: (id: string) => Promise<RefreshOutcome>, concurrency = 4): { calls: string[]; loop: DueRefreshLoop; records: RefreshRecord[] } {
    const calls: string[] = [];
    const records: RefreshRecord[] = [];
    const refresher = {
      refreshConnector: (id: string) => {
        calls.push(id);
        return refresh(id);
      },
      recordBackgroundFailure: async (_row: unknown, error: unknown) => (error instanceof RefreshStorageError ? 'soon' : 'later'),
      parkWhileRejected: async () => undefined,
    };
    const config = { ...testConfig({ DATABASE_URL: db.url }), refreshConcurrency: concurrency };
    const loop = new DueRefreshLoop(ds, refresher as unknown as TokenRefreshService, config);
    loops.push(loop);
    loop.start((record) => records.push(record));
    return { calls, loop, records };
  }

  it("reads a connector another host claimed further ahead than any claim lasts (that host's clock runs ahead), not one claimed for the usual time", async () => {
    const skewed = await connector('Skewed', Date.now() - 2000);
    const held = await connector('Held', Date.now() - 1000);
    await ds.getRepository(ConnectorEntity).update({ id: skewed }, { refreshClaimedUntil: iso(Date.now() + 60_000 + REFRESH_CLAIM_MS) });
    await ds.getRepository(ConnectorEntity).update({ id: held }, { refreshClaimedUntil: iso(Date.now() + REFRESH_CLAIM_MS) });
    const loop = new DueRefreshLoop(ds, undefined as never, testConfig({ DATABASE_URL: db.url }));
    expect((await loop.readDue(Date.now(), 10)).map((row) => row.id)).toEqual([skewed]);
  });

  it('counts the backlog: the connectors due now that no refresh has started, and since when the longest-waiting one is due', async () => {
    const loop = new DueRefreshLoop(ds, undefined as never, testConfig({ DATABASE_URL: db.url }));
    expect(await loop.backlog(Date.now())).toEqual({ due: 0, oldestMs: undefined });
    const oldest = Date.now() - 60_000;
    await connector('Due_1', oldest);
    await connector('Due_2', Date.now() - 1000);
    const started = await connector('Started', Date.now() - 120_000);
    await connector('Later', Date.now() + 60_000);
    await ds.getRepository(ConnectorEntity).update({ id: started }, { refreshClaimedUntil: iso(Date.now() + REFRESH_CLAIM_MS) });
    expect(await loop.backlog(Date.now())).toEqual({ due: 2, oldestMs: Date.parse(iso(oldest)) });
  });

  it('measures the lag behind the due time of first attempts only (a retry is late on purpose)', async () => {
    const first = await connector('First', Date.now() - 5000);
    const retry = await connector('Retry', Date.now() - 5000);
    await ds.getRepository(ConnectorEntity).update({ id: retry }, { refreshAttempts: 2 });
    const a = startLoop(async () => ({ status: 'missing' }));
    await waitFor('both refreshed', () => a.records.length >= 2 || undefined, 5000, 20);
    const of = (id: string) => a.records.find((r) => r.connectorId === id);
    expect(of(first)?.lagMs).toBeGreaterThanOrEqual(5000);
    expect(of(first)?.attempt).toBe(1);
    expect(of(retry)?.lagMs).toBeUndefined();
    expect(of(retry)?.attempt).toBe(3);
  });

  const claimOf = async (id: string) => (await ds.getRepository(ConnectorEntity).findOneByOrFail({ id })).refreshClaimedUntil;

  it("a refresh that failed for a reason of its own process (its database or Redis refused) ends its claim: another process may take the connector at once", async () => {
    const id = await connector('Storage', Date.now() - 1000);
    const a = startLoop(async () => {
      throw new RefreshStorageError(id, 'before', new Error('connection refused (test)'));
    });
    await waitFor('the failed attempt', () => a.calls.length >= 1 || undefined, 5000, 20);
    await waitFor('the claim ended', async () => (await claimOf(id)) === null || undefined, 5000, 20);
    // (This process would try again after its own backoff: stopped, so that cannot race the claim below.)
    await a.loop.stop();
    // This process waits its own backoff (1-2 s); another one claims the connector now.
    expect(await ConnectorSql.of(ds).claim([id], { now: iso(Date.now()), until: iso(Date.now() + REFRESH_CLAIM_MS), horizon: iso(Date.now() + 2 * REFRESH_CLAIM_MS), mark: 'other' })).toEqual(new Set([id]));
  });

  it("a connector whose lock another refresh holds keeps this process's claim, moved to when it looks again (about a second)", async () => {
    const id = await connector('Busy', Date.now() - 1000);
    const a = startLoop(async () => {
      throw new LockTimeoutError(id);
    });
    await waitFor('the attempt', () => a.calls.length >= 1 || undefined, 5000, 20);
    const moved = await waitFor('the claim moved', async () => {
      const claim = await claimOf(id);
      return claim !== null && Date.parse(claim) < Date.now() + 2000 && claim;
    }, 5000, 20);
    expect(Date.parse(moved)).toBeGreaterThan(Date.now() - 1000);
  });

  it('a refresh running longer than half a claim has its claim extended, so no other process reads it as free', async () => {
    const id = await connector('Slow', Date.now() - 1000);
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    startLoop(async () => {
      await done;
      return { status: 'missing' };
    });
    const first = await waitFor('the claim', async () => (await claimOf(id)) ?? undefined, 5000, 20);
    try {
      const extended = await waitFor('the claim extended', async () => {
        const claim = await claimOf(id);
        return claim !== null && claim !== first && claim;
      }, REFRESH_CLAIM_MS, 100);
      expect(Date.parse(extended)).toBeGreaterThan(Date.parse(first));
      // Still held: nobody else claims it.
      expect(await ConnectorSql.of(ds).claim([id], { now: iso(Date.now()), until: iso(Date.now() + REFRESH_CLAIM_MS), horizon: iso(Date.now() + 2 * REFRESH_CLAIM_MS), mark: 'other' })).toEqual(new Set());
    } finally {
      finish();
    }
  }, REFRESH_CLAIM_MS + 10_000);

  it('refreshes in flight whose claims lapsed do not crowd the other due connectors out of the read', async () => {
    const slow = [await connector('Slow_1', Date.now() - 600_000), await connector('Slow_2', Date.now() - 540_000)];
    const later = await connector('Later', null);
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    // Three slots: two taken by refreshes that do not end, one free.
    const a = startLoop(async (id) => {
      if (slow.includes(id)) await done;
      return { status: 'missing' };
    }, 3);
    try {
      await waitFor('both slow refreshes in flight', () => slow.every((id) => a.calls.includes(id)) || undefined, 5000, 20);
      // Their claims lapsed (as on a database that did not take the extension), and one more connector comes due.
      for (const id of slow) await ds.getRepository(ConnectorEntity).update({ id }, { refreshClaimedUntil: iso(Date.now() - 1) });
      await ds.getRepository(ConnectorEntity).update({ id: later }, { nextRefreshAt: iso(Date.now() - 1000) });
      // The two in flight head the due range, and the one free slot still gets the third.
      await waitFor('the third connector started', () => a.calls.includes(later) || undefined, 5000, 20);
      expect(a.calls.filter((id) => slow.includes(id))).toHaveLength(2);
    } finally {
      finish();
    }
  });
});
