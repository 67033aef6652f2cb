import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { spreadOf } from '../spread';
import { sqlDialect } from '../sql-dialect';

// FLOW_HEALTH_CHECK_INTERVAL_SECONDS's default: connectors stored before this migration get their
// first scheduled check spread over one such interval (a migration does not read the configuration).
const FIRST_CHECK_SPREAD_MS = 86_400_000;
const BACKFILL_CHUNK = 500;

/**
 * Connector health: when each grant needs its user again (reauth_due_at, indexed, and the warning
 * sent for it), the last health check and the next one (next_check_at, indexed); the append-only
 * audit trail (a trigger refuses updates) and the webhook outbox (numbered per subject).
 * Written with TypeORM's schema API so SQLite and PostgreSQL run the same migration.
 */
export class ConnectorHealth1796200000000 implements MigrationInterface {
  name = 'ConnectorHealth1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = true) => new TableColumn({ name, type: 'varchar', length: '32', isNullable: nullable });
    await queryRunner.addColumns('connectors', [
      ts('reauth_due_at'),
      ts('reauth_due_basis'),
      ts('reauth_warned_for'),
      new TableColumn({ name: 'health', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'health_detail', type: 'text', isNullable: true }),
      ts('last_checked_at'),
      ts('next_check_at'),
    ]);
    await queryRunner.createIndex('connectors', new TableIndex({ name: 'ix_connectors_reauth_due_at', columnNames: ['reauth_due_at'] }));
    await queryRunner.createIndex('connectors', new TableIndex({ name: 'ix_connectors_next_check_at', columnNames: ['next_check_at'] }));

    await queryRunner.createTable(
      new Table({
        name: 'audit_entries',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'at', type: 'varchar', length: '32' },
          { name: 'actor', type: 'varchar', length: '80' },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'subject', type: 'varchar', length: '200' },
          { name: 'outcome', type: 'varchar', length: '20' },
          { name: 'detail', type: 'text' },
        ],
        indices: [
          new TableIndex({ name: 'ix_audit_entries_at', columnNames: ['at'] }),
          new TableIndex({ name: 'ix_audit_entries_actor', columnNames: ['actor'] }),
          new TableIndex({ name: 'ix_audit_entries_type', columnNames: ['type'] }),
        ],
      }),
    );
    await createAppendOnlyTrigger(queryRunner);

    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'subject', type: 'varchar', length: '80' },
          { name: 'sequence', type: 'integer' },
          { name: 'event', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'created_at', type: 'varchar', length: '32' },
          { name: 'next_attempt_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'claimed_until', type: 'varchar', length: '32', isNullable: true },
          { name: 'last_attempt_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'last_status', type: 'integer', isNullable: true },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'delivered_at', type: 'varchar', length: '32', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'uq_webhook_deliveries_subject_sequence', columnNames: ['subject', 'sequence'], isUnique: true }),
          new TableIndex({ name: 'ix_webhook_deliveries_due', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ name: 'ix_webhook_deliveries_created_at', columnNames: ['created_at'] }),
        ],
      }),
    );
    await backfillFirstCheck(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_deliveries');
    await dropAppendOnlyTrigger(queryRunner);
    await queryRunner.dropTable('audit_entries');
    await queryRunner.dropIndex('connectors', 'ix_connectors_next_check_at');
    await queryRunner.dropIndex('connectors', 'ix_connectors_reauth_due_at');
    await queryRunner.dropColumns('connectors', ['next_check_at', 'last_checked_at', 'health_detail', 'health', 'reauth_warned_for', 'reauth_due_basis', 'reauth_due_at']);
  }
}

/** The audit trail is append-only: the database itself refuses an UPDATE of an entry (the prune deletes). */
async function createAppendOnlyTrigger(queryRunner: QueryRunner): Promise<void> {
  if (sqlDialect(queryRunner.connection).kind === 'postgres') {
    await queryRunner.query(
      "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$",
    );
    await queryRunner.query('CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()');
  } else {
    await queryRunner.query("CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END");
  }
}

async function dropAppendOnlyTrigger(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(
    sqlDialect(queryRunner.connection).kind === 'postgres' ? 'DROP TRIGGER IF EXISTS audit_entries_no_update ON audit_entries' : 'DROP TRIGGER IF EXISTS audit_entries_no_update',
  );
  if (sqlDialect(queryRunner.connection).kind === 'postgres') await queryRunner.query('DROP FUNCTION IF EXISTS audit_entries_append_only()');
}

/**
 * Gives every stored connector with a token its first scheduled health check, spread over the
 * first day by its id (stable, so a re-run gives the same times), rather than all at once.
 */
async function backfillFirstCheck(queryRunner: QueryRunner): Promise<void> {
  const sql = sqlDialect(queryRunner.connection);
  const now = Date.now();
  let after = '';
  for (;;) {
    const rows = (await queryRunner.query(
      `SELECT id FROM connectors WHERE id > ${sql.param(1)} AND access_token IS NOT NULL AND status IN ('active', 'refresh_failed') ORDER BY id LIMIT ${BACKFILL_CHUNK}`,
      [after],
    )) as Array<{ id: string }>;
    for (const row of rows) {
      const at = new Date(now + spreadOf(row.id, FIRST_CHECK_SPREAD_MS)).toISOString();
      await queryRunner.query(`UPDATE connectors SET next_check_at = ${sql.param(1)} WHERE id = ${sql.param(2)}`, [at, row.id]);
    }
    if (rows.length < BACKFILL_CHUNK) return;
    after = rows[rows.length - 1].id;
  }
}
