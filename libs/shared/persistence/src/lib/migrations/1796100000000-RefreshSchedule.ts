import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { sqlDialect } from '../sql-dialect';

// What REFRESH_MARGIN_SECONDS defaults to: the margin of the first refresh of connectors stored
// before this migration (a migration does not read the configuration). Every later write uses the
// configured margin.
const DEFAULT_MARGIN_MS = 300_000;
const BACKFILL_CHUNK = 500;

/**
 * The refresh schedule as data: each connector's next refresh time (indexed, so the sweep reads
 * only what is due soon) and its last refresh; each provider's credentials state, so an operator's
 * mistyped secret pauses its connectors instead of costing users their sign-in.
 * Written with TypeORM's schema API so SQLite and PostgreSQL run the same migration.
 */
export class RefreshSchedule1796100000000 implements MigrationInterface {
  name = 'RefreshSchedule1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = (name: string) => new TableColumn({ name, type: 'varchar', length: '32', isNullable: true });
    await queryRunner.addColumns('connectors', [ts('next_refresh_at'), ts('last_refreshed_at'), ts('refresh_started_at')]);
    await queryRunner.createIndex('connectors', new TableIndex({ name: 'ix_connectors_next_refresh_at', columnNames: ['next_refresh_at'] }));
    await queryRunner.addColumns('providers', [
      new TableColumn({ name: 'state', type: 'varchar', length: '32', isNullable: false, default: "'ok'" }),
      ts('rejected_at'),
      new TableColumn({ name: 'rejected_error', type: 'varchar', length: '64', isNullable: true }),
    ]);
    await backfillNextRefresh(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('providers', ['rejected_error', 'rejected_at', 'state']);
    await queryRunner.dropIndex('connectors', 'ix_connectors_next_refresh_at');
    await queryRunner.dropColumns('connectors', ['refresh_started_at', 'last_refreshed_at', 'next_refresh_at']);
  }
}

/**
 * Gives every stored connector that refreshes its next refresh time: expires_at minus the default
 * margin, or half the token's life when it lives no longer than twice that (updated_at was its
 * issue time). In chunks, so a large table is not read into memory at once.
 */
async function backfillNextRefresh(queryRunner: QueryRunner): Promise<void> {
  const sql = sqlDialect(queryRunner.connection);
  let after = '';
  for (;;) {
    const rows = (await queryRunner.query(
      'SELECT id, expires_at AS "expiresAt", updated_at AS "updatedAt" FROM connectors ' +
        `WHERE id > ${sql.param(1)} AND expires_at IS NOT NULL AND access_token IS NOT NULL AND status IN ('active', 'refresh_failed') ` +
        `ORDER BY id LIMIT ${BACKFILL_CHUNK}`,
      [after],
    )) as Array<{ id: string; expiresAt: string; updatedAt: string }>;
    for (const row of rows) {
      const expires = Date.parse(row.expiresAt);
      if (!Number.isFinite(expires)) continue;
      const issued = Date.parse(row.updatedAt);
      const lifetime = Number.isFinite(issued) ? Math.max(0, expires - issued) : Infinity;
      const next = new Date(expires - Math.min(DEFAULT_MARGIN_MS, lifetime / 2)).toISOString();
      await queryRunner.query(`UPDATE connectors SET next_refresh_at = ${sql.param(1)} WHERE id = ${sql.param(2)}`, [next, row.id]);
    }
    if (rows.length < BACKFILL_CHUNK) return;
    after = rows[rows.length - 1].id;
  }
}
