import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, FLOW_MIGRATIONS } from './data-source-options';
import { sqlDialect } from './sql-dialect';

/** The migrations of the due-refresh loop's columns, RefreshRetries and RefreshClaims: stored connectors keep what they had and each rolls back. */
describe.each(TEST_DATABASE_KINDS)('RefreshRetries and RefreshClaims migrations on %s', (kind) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await db.drop();
  });

  /**
   * A database migrated up to (not including) FLOW_MIGRATIONS[upTo], holding one provider and the
   * given connectors (due `now`), as a deployment before that migration would hold them.
   */
  async function storedBefore(upTo: number, connectors: Array<{ id: string; status: string; version: number }>, now: string): Promise<void> {
    const before = await new DataSource({ ...buildDataSourceOptions(db.settings), migrations: FLOW_MIGRATIONS.slice(0, upTo) }).initialize();
    await before.runMigrations();
    const q = sqlDialect(before);
    await before.query(`INSERT INTO providers (id, type, name, settings, secrets, fingerprint, created_at, updated_at) VALUES (${q.params(8)})`, ['p1', 'slack', 'Slack-1', '{}', 'sealed', 'f', now, now]);
    for (const { id, status, version } of connectors) {
      await before.query(
        'INSERT INTO connectors (id, label, provider_id, type, provider_name, owner, status, access_token, params, metadata, token_version, created_at, updated_at, next_refresh_at) ' + `VALUES (${q.params(14)})`,
        [id, `L_${id}`, 'p1', 'slack', 'Slack-1', 'alice', status, 'sealed', '{}', '{}', version, now, now, now],
      );
    }
    await before.destroy();
  }

  it('keeps every row with no attempt counted and no retry time, and rolls back', async () => {
    const at = FLOW_MIGRATIONS.findIndex((m) => m.name === 'RefreshRetries1796300000000');
    expect(at).toBeGreaterThan(0);
    const now = new Date().toISOString();
    await storedBefore(at, [{ id: 'c1', status: 'active', version: 1 }, { id: 'c2', status: 'refresh_failed', version: 1 }], now);

    const ds = await new DataSource({ ...buildDataSourceOptions(db.settings), migrations: FLOW_MIGRATIONS.slice(0, at + 1) }).initialize();
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

  it('RefreshClaims adds refresh_claimed_until, empty on every stored connector, without losing the due index, and rolls back', async () => {
    const last = FLOW_MIGRATIONS[FLOW_MIGRATIONS.length - 1];
    expect(last.name).toBe('RefreshClaims1796400000000');
    await storedBefore(FLOW_MIGRATIONS.length - 1, [{ id: 'c1', status: 'active', version: 3 }], new Date().toISOString());

    const ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await ds.runMigrations();
    expect(await ds.query('SELECT id, token_version AS "version", refresh_claimed_until AS "claimedUntil" FROM connectors')).toEqual([{ id: 'c1', version: 3, claimedUntil: null }]);
    const indexNames = async () =>
      kind === 'sqlite'
        ? ((await ds.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'connectors'")) as Array<{ name: string }>).map((r) => r.name)
        : ((await ds.query("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'connectors'")) as Array<{ name: string }>).map((r) => r.name);
    expect(await indexNames()).toContain('ix_connectors_refresh_due');

    await ds.undoLastMigration();
    const runner = ds.createQueryRunner();
    const columns = (await runner.getTable('connectors'))?.columns.map((c) => c.name) ?? [];
    await runner.release();
    expect(columns).not.toContain('refresh_claimed_until');
    expect(columns).toContain('refresh_retry_at');
    expect(await indexNames()).toContain('ix_connectors_refresh_due');
    expect(await ds.query('SELECT id FROM connectors')).toEqual([{ id: 'c1' }]);
    await ds.destroy();
  });
});
