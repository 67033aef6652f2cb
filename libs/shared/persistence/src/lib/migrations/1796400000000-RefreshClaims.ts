import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * refresh_claimed_until: until when one token-refresher has a connector's next background refresh.
 * The due-refresh loop of each process reads the due connectors that nobody has claimed and claims
 * those it starts in one guarded UPDATE, so two processes no longer read, lock and skip the same
 * head of the due range. Not indexed: the loop still walks the index on when a connector may be
 * tried next, and the claimed rows at its head are at most the refreshes in flight.
 * Plain ALTER TABLE on both databases: TypeORM's addColumn rebuilds a SQLite table, and with it the
 * expression index of RefreshRetries, which it cannot describe.
 */
export class RefreshClaims1796400000000 implements MigrationInterface {
  name = 'RefreshClaims1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE connectors ADD COLUMN refresh_claimed_until varchar(32)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE connectors DROP COLUMN refresh_claimed_until');
  }
}
