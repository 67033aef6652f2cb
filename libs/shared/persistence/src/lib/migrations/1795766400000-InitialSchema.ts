import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/** Providers, connectors, users and meta. Written with TypeORM's schema API so SQLite and PostgreSQL run the same migration. */
export class InitialSchema1795766400000 implements MigrationInterface {
  name = 'InitialSchema1795766400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = (name: string, nullable = false) => ({ name, type: 'varchar', length: '32', isNullable: nullable });
    await queryRunner.createTable(
      new Table({
        name: 'providers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'settings', type: 'text' },
          { name: 'secrets', type: 'text' },
          { name: 'fingerprint', type: 'varchar', length: '64' },
          ts('created_at'),
          ts('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_providers_type_name', columnNames: ['type', 'name'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'connectors',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'label', type: 'varchar', length: '128' },
          { name: 'provider_id', type: 'varchar', length: '36' },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'provider_name', type: 'varchar', length: '64' },
          { name: 'owner', type: 'varchar', length: '64' },
          { name: 'status', type: 'varchar', length: '20' },
          { name: 'access_token', type: 'text', isNullable: true },
          { name: 'refresh_token', type: 'text', isNullable: true },
          { name: 'token_type', type: 'varchar', length: '32', isNullable: true },
          { name: 'scope', type: 'text', isNullable: true },
          ts('expires_at', true),
          { name: 'params', type: 'text' },
          { name: 'metadata', type: 'text' },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'token_version', type: 'integer', default: 0 },
          ts('created_at'),
          ts('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_connectors_label', columnNames: ['label'], isUnique: true }),
          new TableIndex({ name: 'ix_connectors_provider', columnNames: ['provider_id'] }),
          new TableIndex({ name: 'ix_connectors_owner', columnNames: ['owner'] }),
          new TableIndex({ name: 'ix_connectors_expires_at', columnNames: ['expires_at'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_connectors_provider',
            columnNames: ['provider_id'],
            referencedTableName: 'providers',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'key_hash', type: 'varchar', length: '64' },
          ts('created_at'),
        ],
        indices: [new TableIndex({ name: 'uq_users_key_hash', columnNames: ['key_hash'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'flow_meta',
        columns: [
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'value', type: 'text' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('flow_meta');
    await queryRunner.dropTable('users');
    await queryRunner.dropTable('connectors');
    await queryRunner.dropTable('providers');
  }
}
