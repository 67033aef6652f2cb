import { randomBytes } from 'node:crypto';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, holdSqliteWriteLock, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { prepareDatabase } from './database-readiness';

/**
 * better-sqlite3 waits for a busy database synchronously: the whole process stands still while it
 * waits. So a write that meets another connection's write lock fails with SQLITE_BUSY after a short
 * busy timeout instead of waiting the holder out; its caller treats that as "database unavailable".
 */
describe('SQLite write while another process holds the write lock, in a started process', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    ds = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    // As every process starts: migrations (or waiting for them), the key check, then the short busy timeout.
    await prepareDatabase(ds, new SecretBox(randomBytes(32)), { runMigrations: true });
    await ds.query('CREATE TABLE busy_probe (id INTEGER PRIMARY KEY)');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('fails with SQLITE_BUSY instead of waiting for the holder (which lets go 8 s later), and goes through once it has', async () => {
    if (db.settings.type !== 'sqlite') throw new Error('a SQLite database was asked for');
    const lock = await holdSqliteWriteLock(db.settings.file, { releaseAfterMs: 8000 });
    let refused: unknown;
    try {
      await ds.query('INSERT INTO busy_probe (id) VALUES (1)');
    } catch (error) {
      refused = error;
    }
    // Reads go on meanwhile (WAL).
    expect(await ds.query('SELECT COUNT(*) AS n FROM busy_probe')).toEqual([{ n: 0 }]);
    await lock.release();
    expect(refused).toMatchObject({ code: 'SQLITE_BUSY', message: expect.stringContaining('database is locked') });
    await ds.query('INSERT INTO busy_probe (id) VALUES (1)');
    expect(await ds.query('SELECT COUNT(*) AS n FROM busy_probe')).toEqual([{ n: 1 }]);
  });
});
