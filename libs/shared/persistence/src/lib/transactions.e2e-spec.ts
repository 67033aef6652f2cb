import { randomBytes } from 'node:crypto';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { prepareDatabase } from './database-readiness';
import { MetaEntity } from './entities/meta.entity';
import { runInTransaction } from './transactions';

describe.each(TEST_DATABASE_KINDS)('runInTransaction on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: true });
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('commits each of many overlapping transactions whole, and rolls a failing one back whole', async () => {
    const writes = Array.from({ length: 10 }, (_, i) =>
      runInTransaction(ds, async (m) => {
        await m.insert(MetaEntity, { key: `t${i}-a`, value: 'a' });
        await new Promise((r) => setTimeout(r, 5));
        await m.insert(MetaEntity, { key: `t${i}-b`, value: 'b' });
        if (i === 3) throw new Error('boom');
      }),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const keys = (await ds.getRepository(MetaEntity).find()).map((r) => r.key).filter((k) => k.startsWith('t'));
    expect(keys.sort()).toEqual(Array.from({ length: 10 }, (_, i) => (i === 3 ? [] : [`t${i}-a`, `t${i}-b`])).flat().sort());
  });

  it('a nested call runs inside the outer transaction instead of waiting for it', async () => {
    await runInTransaction(ds, async (m) => {
      await m.insert(MetaEntity, { key: 'outer', value: '1' });
      await runInTransaction(ds, (inner) => inner.insert(MetaEntity, { key: 'inner', value: '1' }));
    });
    expect(await ds.getRepository(MetaEntity).countBy({ key: 'inner' })).toBe(1);
  });
});
