import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** When a connector may be tried next by the background refresh: its retry time, else its due time. */
const REFRESH_DUE_EXPRESSION = 'COALESCE(refresh_retry_at, next_refresh_at)';
const REFRESH_DUE_INDEX = 'ix_connectors_refresh_due';

/**
 * Background refresh retries as data: how many attempts in a row failed at the provider
 * (refresh_attempts) and when the next one may run (refresh_retry_at). token-refresher reads the
 * due connectors from next_refresh_at (indexed) and skips those waiting for their retry time, so
 * the schedule, its retries and their backoff all live in the database and nothing is lost with
 * Redis's data. next_refresh_at keeps meaning when the token is due (the token API refreshes an
 * expiring token on demand whatever the background retries wait for). The loop reads by when a
 * connector may be tried next, COALESCE(refresh_retry_at, next_refresh_at), through an index on
 * that expression: connectors waiting for a retry (a provider down, or its credentials rejected)
 * leave the head of the range the loop walks four times a second.
 */
export class RefreshRetries1796300000000 implements MigrationInterface {
  name = 'RefreshRetries1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('connectors', [
      new TableColumn({ name: 'refresh_attempts', type: 'integer', isNullable: false, default: 0 }),
      new TableColumn({ name: 'refresh_retry_at', type: 'varchar', length: '32', isNullable: true }),
    ]);
    // An expression index: TypeORM's TableIndex takes columns only. The same statement on both databases.
    await queryRunner.query(`CREATE INDEX ${REFRESH_DUE_INDEX} ON connectors ((${REFRESH_DUE_EXPRESSION}))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ${REFRESH_DUE_INDEX}`);
    await queryRunner.dropColumns('connectors', ['refresh_retry_at', 'refresh_attempts']);
  }
}
