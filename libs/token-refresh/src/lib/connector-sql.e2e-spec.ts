import { randomBytes, randomUUID } from 'node:crypto';
import { buildDataSourceOptions, ConnectorEntity, prepareDatabase, ProviderEntity, SqliteStatements } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { ConnectorSql } from './connector-sql';

/**
 * The refresh's connector reads and guarded writes, batched per turn of the event loop: each caller
 * gets its own row and its own guarded outcome, exactly as with one statement per call.
 */
describe.each(TEST_DATABASE_KINDS)('ConnectorSql on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  let sql: ConnectorSql;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: true });
    sql = ConnectorSql.of(ds);
    const now = new Date().toISOString();
    const providerId = randomUUID();
    await ds.getRepository(ProviderEntity).insert({ id: providerId, type: 'odata', name: 'P', settings: '{}', secrets: 'x', fingerprint: 'f', state: 'ok', rejectedAt: null, rejectedError: null, createdAt: now, updatedAt: now });
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      ids.push(id);
      await ds.getRepository(ConnectorEntity).insert({
        id,
        label: `Sql_${kind}_${i}`,
        providerId,
        type: 'odata',
        providerName: 'P',
        owner: 'u',
        status: i === 4 ? 'refresh_failed' : 'active',
        accessToken: null,
        refreshToken: null,
        tokenType: 'Bearer',
        scope: null,
        expiresAt: null,
        params: '{}',
        metadata: '{}',
        lastError: null,
        tokenVersion: 3,
        createdAt: now,
        updatedAt: now,
      });
    }
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('reads many connectors at once, each caller its own row; an unknown id is undefined', async () => {
    const unknown = randomUUID();
    const read = await Promise.all([...ids, unknown, ids[0]].map((id) => sql.findById(ds.manager, id)));
    expect(read.map((c) => c?.id)).toEqual([...ids, undefined, ids[0]]);
    expect(read[2]).toBeInstanceOf(ConnectorEntity);
    expect(read[2]).toMatchObject({ label: `Sql_${kind}_2`, tokenVersion: 3, status: 'active', scope: null, params: '{}' });
    expect(typeof read[2]?.tokenVersion).toBe('number');
  });

  it('guards each write of a batch by its own token version (and status when asked), in one statement', async () => {
    const at = new Date().toISOString();
    // Every statement, whichever way it goes: SQLite's through SqliteStatements, PostgreSQL's through TypeORM.
    const queries: string[] = [];
    const query = ds.manager.query.bind(ds.manager);
    ds.manager.query = ((text: string, params?: unknown[]) => {
      queries.push(text);
      return query(text, params);
    }) as typeof ds.manager.query;
    const rows = jest.spyOn(SqliteStatements.prototype, 'rows');
    let changed: number[];
    try {
      changed = await Promise.all([
        sql.update(ds.manager, { lastError: 'a', refreshStartedAt: at, tokenVersion: 4 }, { id: ids[0], tokenVersion: 3, activeOnly: true }),
        // stale version: unchanged
        sql.update(ds.manager, { lastError: 'b', refreshStartedAt: at, tokenVersion: 3 }, { id: ids[1], tokenVersion: 2, activeOnly: true }),
        sql.update(ds.manager, { lastError: null, refreshStartedAt: null, tokenVersion: 4 }, { id: ids[2], tokenVersion: 3, activeOnly: true }),
        // not active: unchanged with activeOnly
        sql.update(ds.manager, { lastError: 'd', refreshStartedAt: at, tokenVersion: 4 }, { id: ids[4], tokenVersion: 3, activeOnly: true }),
      ]);
    } finally {
      ds.manager.query = query;
      queries.push(...rows.mock.calls.map(([text]) => text));
      rows.mockRestore();
    }
    expect(changed).toEqual([1, 0, 1, 0]);
    expect(queries.filter((q) => q.includes('UPDATE connectors'))).toHaveLength(1);
    const stored = await ds.getRepository(ConnectorEntity).find({ order: { label: 'ASC' } });
    expect(stored.map((r) => [r.lastError, r.tokenVersion, r.refreshStartedAt])).toEqual([
      ['a', 4, at],
      [null, 3, null],
      [null, 4, null],
      [null, 3, null],
      [null, 3, null],
    ]);
    // A lone write, and one without the status guard.
    expect(await sql.update(ds.manager, { lastError: 'e' }, { id: ids[4], tokenVersion: 3 })).toBe(1);
    expect(await sql.update(ds.manager, { lastError: 'f' }, { id: ids[4], tokenVersion: 9 })).toBe(0);
    expect((await ds.getRepository(ConnectorEntity).findOneByOrFail({ id: ids[4] })).lastError).toBe('e');
  });

  it('the same connector twice in one turn: both writes guarded on their own, the second sees the first', async () => {
    const [first, second] = await Promise.all([
      sql.update(ds.manager, { lastError: 'x', tokenVersion: 5 }, { id: ids[3], tokenVersion: 3 }),
      sql.update(ds.manager, { lastError: 'y', tokenVersion: 5 }, { id: ids[3], tokenVersion: 3 }),
    ]);
    expect(first + second).toBe(1);
    expect((await ds.getRepository(ConnectorEntity).findOneByOrFail({ id: ids[3] })).tokenVersion).toBe(5);
  });

  it('a batch the database refuses fails each of its callers', async () => {
    if (kind === 'sqlite') await ds.query("CREATE TRIGGER refuse_sql_test BEFORE UPDATE OF last_error ON connectors BEGIN SELECT RAISE(ABORT, 'refused (test)'); END");
    else await ds.query("CREATE FUNCTION refuse_sql_test() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused (test)'; END $$ LANGUAGE plpgsql; CREATE TRIGGER refuse_sql_test BEFORE UPDATE OF last_error ON connectors FOR EACH ROW EXECUTE FUNCTION refuse_sql_test()");
    try {
      const results = await Promise.allSettled(ids.slice(0, 3).map((id) => sql.update(ds.manager, { lastError: 'z' }, { id, tokenVersion: 4 })));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    } finally {
      await ds.query(kind === 'sqlite' ? 'DROP TRIGGER refuse_sql_test' : 'DROP TRIGGER refuse_sql_test ON connectors; DROP FUNCTION refuse_sql_test()');
    }
    expect((await ds.getRepository(ConnectorEntity).find()).some((r) => r.lastError === 'z')).toBe(false);
  });

  it('claims due connectors nobody holds: two processes claiming the same ones get each one once; an expired claim is free; a moved claim is the holder\'s only', async () => {
    // Two data sources: two connections, as two processes have (on SQLite the second one meets the first's write lock).
    const other = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    try {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      const repo = ds.getRepository(ConnectorEntity);
      for (const [i, id] of ids.entries()) await repo.update({ id }, { nextRefreshAt: iso(now - 1000), refreshRetryAt: null, refreshClaimedUntil: null, refreshStartedAt: null, tokenVersion: 7 + i });
      // An earlier attempt of this version reached the provider: its mark stays (the refresh must look for its kept answer).
      await repo.update({ id: ids[3] }, { refreshStartedAt: 'earlier' });
      // Not due: its retry is a minute away.
      await repo.update({ id: ids[4] }, { refreshRetryAt: iso(now + 60_000) });
      const until = iso(now + 10_000);
      /** A claim at `at` until `to`, with claims ending after `at` + 20 s taken as a skewed clock's. */
      const at = (ms: number, to: number, mark: string) => ({ now: iso(ms), until: iso(to), horizon: iso(ms + 20_000), mark });
      const claims = await Promise.all([sql.claim(ids, at(now, now + 10_000, 'm1')), ConnectorSql.of(other).claim(ids, at(now, now + 10_000, 'm2'))]);
      expect([...claims[0]].filter((id) => claims[1].has(id))).toEqual([]);
      expect([...claims[0], ...claims[1]].sort()).toEqual(ids.slice(0, 4).sort());
      expect((await repo.findOneByOrFail({ id: ids[0] })).refreshClaimedUntil).toBe(until);
      // Each claim's own mark where there was none; an earlier one kept.
      const marks = (await repo.find({ order: { label: 'ASC' } })).map((r) => r.refreshStartedAt);
      expect(marks.slice(0, 3).map((mark, i) => (claims[0].has(ids[i]) ? mark === 'm1' : mark === 'm2'))).toEqual([true, true, true]);
      expect(marks.slice(3)).toEqual(['earlier', null]);
      // Claimed: nobody gets them again before the claim ends; at its end, anyone does.
      expect(await sql.claim(ids, at(now + 9_000, now + 19_000, 'm3'))).toEqual(new Set());
      expect(await ConnectorSql.of(other).claim([ids[0]], at(now + 10_000, now + 20_000, 'm4'))).toEqual(new Set([ids[0]]));
      // A claim moves only while it is the one given.
      expect(await sql.moveClaim(ids[0], until, iso(now + 1))).toBe(false);
      expect((await repo.findOneByOrFail({ id: ids[0] })).refreshClaimedUntil).toBe(iso(now + 20_000));
      expect(await sql.moveClaim(ids[0], iso(now + 20_000), iso(now + 1))).toBe(true);
      expect((await repo.findOneByOrFail({ id: ids[0] })).refreshClaimedUntil).toBe(iso(now + 1));
      expect(await sql.claim([ids[0]], at(now + 2, now + 10_000, 'm5'))).toEqual(new Set([ids[0]]));
      // Ended by its holder (null): free at once.
      expect(await sql.moveClaim(ids[0], until, null)).toBe(true);
      expect(await ConnectorSql.of(other).claim([ids[0]], at(now + 3, now + 10_000, 'm6'))).toEqual(new Set([ids[0]]));
      // A claim ending further ahead than any process sets one (its writer's clock runs a minute ahead) is not held.
      await repo.update({ id: ids[1] }, { refreshClaimedUntil: iso(now + 70_000) });
      expect(await sql.claim([ids[1], ids[2]], at(now + 4, now + 10_000, 'm7'))).toEqual(new Set([ids[1]]));
      expect((await repo.findOneByOrFail({ id: ids[0] })).refreshStartedAt).toMatch(/^m[12]$/);
      // The claim touches nothing else: the token versions are those written above.
      expect((await repo.find({ order: { label: 'ASC' } })).map((r) => r.tokenVersion)).toEqual([7, 8, 9, 10, 11]);
    } finally {
      await other.destroy();
    }
  });
});
