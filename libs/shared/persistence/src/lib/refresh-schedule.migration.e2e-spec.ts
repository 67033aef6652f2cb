import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { InitialSchema1795766400000 } from './migrations/1795766400000-InitialSchema';
import { sqlDialect } from './sql-dialect';

/** The RefreshSchedule migration on a database that already holds providers and connectors. */
describe.each(TEST_DATABASE_KINDS)('RefreshSchedule migration on %s', (kind) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('keeps every row, backfills next_refresh_at of refreshable connectors, marks providers ok, and rolls back', async () => {
    // The schema as the previous release left it, with data in it.
    const before = await new DataSource({ ...buildDataSourceOptions(db.settings), migrations: [InitialSchema1795766400000] }).initialize();
    await before.runMigrations();
    const q = sqlDialect(before);
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    await before.query(
      `INSERT INTO providers (id, type, name, settings, secrets, fingerprint, created_at, updated_at) VALUES (${q.params(8)})`,
      ['p1', 'slack', 'Slack-1', '{}', 'sealed', 'f', iso(0), iso(0)],
    );
    const connector = (id: string, status: string, expiresAt: string | null, updatedAt: string, token: string | null = 'sealed') =>
      before.query(
        'INSERT INTO connectors (id, label, provider_id, type, provider_name, owner, status, access_token, expires_at, params, metadata, token_version, created_at, updated_at) ' +
          `VALUES (${q.params(14)})`,
        [id, `L_${id}`, 'p1', 'slack', 'Slack-1', 'alice', status, token, expiresAt, '{}', '{}', 1, iso(0), updatedAt],
      );
    await connector('hour', 'active', iso(3600_000), iso(0));
    await connector('short', 'refresh_failed', iso(240_000), iso(0));
    await connector('never', 'active', null, iso(0));
    await connector('dead', 'needs_reauth', iso(3600_000), iso(0));
    await connector('purged', 'active', iso(3600_000), iso(0), null);
    await before.destroy();

    const ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await ds.runMigrations();
    const rows = (await ds.query('SELECT id, next_refresh_at AS "next", last_refreshed_at AS "last" FROM connectors ORDER BY id')) as Array<{ id: string; next: string | null; last: string | null }>;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.next]))).toEqual({
      dead: null,
      hour: iso(3600_000 - 300_000),
      never: null,
      purged: null,
      // Shorter than twice the default margin: due at half its life.
      short: iso(120_000),
    });
    expect(rows.every((r) => r.last === null)).toBe(true);
    const [provider] = (await ds.query('SELECT state, rejected_at AS "rejectedAt", rejected_error AS "rejectedError" FROM providers')) as Array<Record<string, unknown>>;
    expect(provider).toEqual({ state: 'ok', rejectedAt: null, rejectedError: null });
    // The foreign key still holds after the tables were altered.
    await expect(ds.query(`DELETE FROM providers WHERE id = ${q.param(1)}`, ['p1'])).rejects.toThrow();

    // TypeORM switches SQLite's foreign-key checks off around runMigrations but not around undo.
    if (kind === 'sqlite') await ds.query('PRAGMA foreign_keys = OFF');
    await ds.undoLastMigration();
    const columns = (await ds.createQueryRunner().getTable('connectors'))?.columns.map((c) => c.name) ?? [];
    expect(columns).not.toContain('next_refresh_at');
    expect((await ds.query('SELECT COUNT(*) AS n FROM connectors')) as Array<{ n: number | string }>).toEqual([{ n: kind === 'postgres' ? '5' : 5 }]);
    await ds.destroy();
  });
});
