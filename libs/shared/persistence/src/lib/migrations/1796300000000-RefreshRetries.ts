import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Background refresh retries as data: how many attempts in a row failed at the provider
 * (refresh_attempts) and when the next one may run (refresh_retry_at). token-refresher reads the
 * due connectors from next_refresh_at (indexed) and skips those waiting for their retry time, so
 * the schedule, its retries and their backoff all live in the database and nothing is lost with
 * Redis's data. next_refresh_at keeps meaning when the token is due (the token API refreshes an
 * expiring token on demand whatever the background retries wait for).
 */
export class RefreshRetries1796300000000 implements MigrationInterface {
  name = 'RefreshRetries1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('connectors', [
      new TableColumn({ name: 'refresh_attempts', type: 'integer', isNullable: false, default: 0 }),
      new TableColumn({ name: 'refresh_retry_at', type: 'varchar', length: '32', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('connectors', ['refresh_retry_at', 'refresh_attempts']);
  }
}
