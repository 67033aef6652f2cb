import { randomBytes } from 'node:crypto';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { prepareDatabase } from './database-readiness';
import { MetaEntity } from './entities/meta.entity';

describe.each(TEST_DATABASE_KINDS)('database readiness on %s', (kind) => {
  let db: TestDatabase;
  const open = () => new DataSource(buildDataSourceOptions(db.settings)).initialize();

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('runs the migrations once and is idempotent on the next start', async () => {
    const ds = await open();
    const box = new SecretBox(randomBytes(32));
    await prepareDatabase(ds, box, { runMigrations: true });
    await prepareDatabase(ds, box, { runMigrations: true });
    const tables = ['providers', 'connectors', 'users', 'flow_meta'];
    for (const table of tables) {
      await expect(ds.query(`SELECT COUNT(*) AS n FROM ${table}`)).resolves.toBeDefined();
    }
    expect(await ds.showMigrations()).toBe(false);
    await ds.destroy();
  });

  it('a process that does not migrate waits for the schema and names config-loader when it never comes', async () => {
    const ds = await open();
    await expect(prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: false, waitForMigrationsMs: 300 })).rejects.toThrow(
      'start config-loader',
    );
    await ds.destroy();
  });

  it('a wrong encryption key stops start-up and changes nothing', async () => {
    const ds = await open();
    await prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: true });
    const before = await ds.getRepository(MetaEntity).find();
    await expect(prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: true })).rejects.toThrow(
      'FLOW_ENCRYPTION_KEY does not match',
    );
    expect(await ds.getRepository(MetaEntity).find()).toEqual(before);
    await ds.destroy();
  });
});
