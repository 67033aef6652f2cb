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

  it('holds the write lock from its start on SQLite, so a transaction that reads first can still write: another process waits for its commit', async () => {
    // Another process: its own connection, not waiting for locks, so a held lock shows at once.
    const other = await new DataSource({ ...buildDataSourceOptions(db.settings), ...(kind === 'sqlite' ? { timeout: 0 } : {}) } as never).initialize();
    try {
      let otherWrote = 'the other write never ran';
      await runInTransaction(ds, async (m) => {
        await m.find(MetaEntity);
        otherWrote = await other.getRepository(MetaEntity).insert({ key: 'other-during', value: 'x' }).then(
          () => 'wrote',
          (error: Error) => error.message,
        );
        await m.insert(MetaEntity, { key: 'after-read', value: 'y' });
      });
      // SQLite: the other writer was kept out until the commit; PostgreSQL takes both (row-level).
      expect(otherWrote).toMatch(kind === 'sqlite' ? /SQLITE_BUSY|database is locked/ : /^wrote$/);
      expect((await ds.getRepository(MetaEntity).findOneBy({ key: 'after-read' }))?.value).toBe('y');
      await other.getRepository(MetaEntity).insert({ key: 'other-after', value: 'z' });
    } finally {
      await other.destroy();
    }
  });

  it('a nested call runs inside the outer transaction instead of waiting for it', async () => {
    await runInTransaction(ds, async (m) => {
      await m.insert(MetaEntity, { key: 'outer', value: '1' });
      await runInTransaction(ds, (inner) => inner.insert(MetaEntity, { key: 'inner', value: '1' }));
    });
    expect(await ds.getRepository(MetaEntity).countBy({ key: 'inner' })).toBe(1);
  });
});
