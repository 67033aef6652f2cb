import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, FLOW_MIGRATIONS } from './data-source-options';
import { sqlDialect } from './sql-dialect';

/** RefreshRetries: every stored connector starts with no failed background attempt; the migration rolls back. */
describe.each(TEST_DATABASE_KINDS)('RefreshRetries migration on %s', (kind) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('keeps every row with no attempt counted and no retry time, and rolls back', async () => {
    const last = FLOW_MIGRATIONS[FLOW_MIGRATIONS.length - 1];
    expect(last.name).toBe('RefreshRetries1796300000000');
    const before = await new DataSource({ ...buildDataSourceOptions(db.settings), migrations: FLOW_MIGRATIONS.slice(0, -1) }).initialize();
    await before.runMigrations();
    const q = sqlDialect(before);
    const now = new Date().toISOString();
    await before.query(`INSERT INTO providers (id, type, name, settings, secrets, fingerprint, created_at, updated_at) VALUES (${q.params(8)})`, ['p1', 'slack', 'Slack-1', '{}', 'sealed', 'f', now, now]);
    for (const [id, status] of [['c1', 'active'], ['c2', 'refresh_failed']]) {
      await before.query(
        'INSERT INTO connectors (id, label, provider_id, type, provider_name, owner, status, access_token, params, metadata, token_version, created_at, updated_at, next_refresh_at) ' + `VALUES (${q.params(14)})`,
        [id, `L_${id}`, 'p1', 'slack', 'Slack-1', 'alice', status, 'sealed', '{}', '{}', 1, now, now, now],
      );
    }
    await before.destroy();

    const ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await ds.runMigrations();
    const rows = (await ds.query('SELECT id, status, refresh_attempts AS "attempts", refresh_retry_at AS "retryAt", next_refresh_at AS "next" FROM connectors ORDER BY id')) as Array<Record<string, unknown>>;
    expect(rows.map((r) => ({ ...r, attempts: Number(r['attempts']) }))).toEqual([
      { id: 'c1', status: 'active', attempts: 0, retryAt: null, next: now },
      { id: 'c2', status: 'refresh_failed', attempts: 0, retryAt: null, next: now },
    ]);

    const runner = ds.createQueryRunner();
    if (kind === 'sqlite') await ds.query('PRAGMA foreign_keys = OFF');
    await ds.undoLastMigration();
    const columns = (await runner.getTable('connectors'))?.columns.map((c) => c.name) ?? [];
    expect(columns).not.toContain('refresh_attempts');
    expect(columns).not.toContain('refresh_retry_at');
    expect(columns).toContain('next_refresh_at');
    expect(await ds.query('SELECT COUNT(*) AS n FROM connectors')).toEqual([{ n: kind === 'sqlite' ? 2 : '2' }]);
    await runner.release();
    await ds.destroy();
  });
});
