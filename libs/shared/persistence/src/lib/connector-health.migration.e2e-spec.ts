import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { InitialSchema1795766400000 } from './migrations/1795766400000-InitialSchema';
import { RefreshSchedule1796100000000 } from './migrations/1796100000000-RefreshSchedule';
import { ConnectorHealth1796200000000 } from './migrations/1796200000000-ConnectorHealth';
import { spreadOf } from './spread';
import { sqlDialect } from './sql-dialect';

/** The ConnectorHealth migration on a database that already holds connectors. */
describe.each(TEST_DATABASE_KINDS)('ConnectorHealth migration on %s', (kind) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('keeps every row, spreads the first health check of connectors with a token over a day, and rolls back', async () => {
    const before = await new DataSource({ ...buildDataSourceOptions(db.settings), migrations: [InitialSchema1795766400000, RefreshSchedule1796100000000] }).initialize();
    await before.runMigrations();
    const q = sqlDialect(before);
    const now = new Date().toISOString();
    await before.query(`INSERT INTO providers (id, type, name, settings, secrets, fingerprint, created_at, updated_at) VALUES (${q.params(8)})`, ['p1', 'slack', 'Slack-1', '{}', 'sealed', 'f', now, now]);
    const connector = (id: string, status: string, token: string | null) =>
      before.query(
        'INSERT INTO connectors (id, label, provider_id, type, provider_name, owner, status, access_token, params, metadata, token_version, created_at, updated_at) ' + `VALUES (${q.params(13)})`,
        [id, `L_${id.slice(0, 8)}`, 'p1', 'slack', 'Slack-1', 'alice', status, token, '{}', '{}', 1, now, now],
      );
    const active = '0a1b2c3d-0000-4000-8000-000000000001';
    const failing = 'f0e1d2c3-0000-4000-8000-000000000002';
    await connector(active, 'active', 'sealed');
    await connector(failing, 'refresh_failed', 'sealed');
    await connector('dead0000-0000-4000-8000-000000000003', 'needs_reauth', 'sealed');
    await connector('0000beef-0000-4000-8000-000000000004', 'active', null);
    await before.destroy();

    const started = Date.now();
    const ds = await new DataSource({ ...buildDataSourceOptions(db.settings), migrations: [InitialSchema1795766400000, RefreshSchedule1796100000000, ConnectorHealth1796200000000] }).initialize();
    await ds.runMigrations();
    const rows = (await ds.query('SELECT id, next_check_at AS "next", health, reauth_due_at AS "due" FROM connectors ORDER BY id')) as Array<{ id: string; next: string | null; health: string | null; due: string | null }>;
    const next = Object.fromEntries(rows.map((r) => [r.id, r.next]));
    expect(next['dead0000-0000-4000-8000-000000000003']).toBeNull();
    expect(next['0000beef-0000-4000-8000-000000000004']).toBeNull();
    for (const id of [active, failing]) {
      const offset = Date.parse(next[id] as string) - started;
      // At the connector's own place in the first day (the migration ran a moment after `started`).
      expect(offset).toBeGreaterThanOrEqual(spreadOf(id, 86_400_000));
      expect(offset).toBeLessThan(spreadOf(id, 86_400_000) + 60_000);
    }
    expect(rows.every((r) => r.health === null && r.due === null)).toBe(true);
    const runner = ds.createQueryRunner();
    expect([await runner.hasTable('audit_entries'), await runner.hasTable('webhook_deliveries')]).toEqual([true, true]);

    if (kind === 'sqlite') await ds.query('PRAGMA foreign_keys = OFF');
    await ds.undoLastMigration();
    expect((await runner.getTable('connectors'))?.columns.map((c) => c.name)).not.toContain('next_check_at');
    expect(await runner.hasTable('audit_entries')).toBe(false);
    expect(await runner.hasTable('webhook_deliveries')).toBe(false);
    await runner.release();
    expect((await ds.query('SELECT COUNT(*) AS n FROM connectors')) as Array<{ n: number | string }>).toEqual([{ n: kind === 'postgres' ? '4' : 4 }]);
    await ds.destroy();
  });
});
