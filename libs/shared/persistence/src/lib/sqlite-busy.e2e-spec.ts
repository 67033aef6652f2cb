import { randomBytes } from 'node:crypto';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, holdSqliteWriteLock, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';
import { prepareDatabase } from './database-readiness';
import { SQLITE_BUSY_TIMEOUT_MS } from './data-source-options';
import { SqliteStatements } from './sqlite-statements';

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

  /** The data source's SqliteStatements and its file, with the probe table emptied. */
  async function emptyProbe(): Promise<{ statements: SqliteStatements; file: string }> {
    if (db.settings.type !== 'sqlite') throw new Error('a SQLite database was asked for');
    const statements = SqliteStatements.of(ds);
    if (!statements) throw new Error('SqliteStatements is for SQLite');
    await ds.query('DELETE FROM busy_probe');
    return { statements, file: db.settings.file };
  }

  it('SqliteStatements: a write that meets the lock waits without freezing the process and goes through when the holder lets go', async () => {
    const { statements, file } = await emptyProbe();
    // The holder lets go by itself 150 ms after it took the lock, within the 250 ms busy timeout.
    const lock = await holdSqliteWriteLock(file, { releaseAfterMs: 150 });
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    const started = Date.now();
    try {
      expect(await statements.rows('INSERT INTO busy_probe (id) VALUES (?) RETURNING id', [7])).toEqual([{ id: 7 }]);
    } finally {
      clearInterval(ticker);
      await lock.release();
    }
    // It waited for the holder (about 150 ms) and the process ran meanwhile: a 5 ms timer fired many times.
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(ticks).toBeGreaterThanOrEqual(5);
    // The connection's own busy timeout is as it was (TypeORM's statements keep their wait).
    expect(await ds.query('PRAGMA busy_timeout')).toEqual([{ timeout: SQLITE_BUSY_TIMEOUT_MS }]);
  });

  it('SqliteStatements: a lock held past the busy timeout fails the statement with SQLITE_BUSY and changes nothing', async () => {
    const { statements, file } = await emptyProbe();
    const lock = await holdSqliteWriteLock(file, { releaseAfterMs: 5000 });
    let refused: unknown;
    const started = Date.now();
    try {
      await statements.rows('INSERT INTO busy_probe (id) VALUES (?) RETURNING id', [8]);
    } catch (error) {
      refused = error;
    } finally {
      await lock.release();
    }
    expect(refused).toMatchObject({ code: 'SQLITE_BUSY' });
    // Gave up after the busy timeout, not after the holder.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await ds.query('SELECT COUNT(*) AS n FROM busy_probe')).toEqual([{ n: 0 }]);
    expect(await ds.query('PRAGMA busy_timeout')).toEqual([{ timeout: SQLITE_BUSY_TIMEOUT_MS }]);
    // Only statements that return rows.
    await expect(statements.rows('DELETE FROM busy_probe', [])).rejects.toThrow(/return rows/);
  });
});
