import { sqlDialect, sqlDialectOf } from './sql-dialect';

describe('sqlDialect', () => {
  it('numbers PostgreSQL placeholders and locks rows', () => {
    const pg = sqlDialect({ options: { type: 'postgres' } } as never);
    expect(pg.param(3)).toBe('$3');
    expect(pg.params(3, 2)).toBe('$2, $3, $4');
    expect(pg.lock('share')).toBe(' FOR SHARE');
    expect(pg.lock('update')).toBe(' FOR UPDATE');
    expect(pg.rowLocks).toBe(true);
    expect(pg.sql('UPDATE t SET a = ? WHERE id = ? AND b = ?')).toBe('UPDATE t SET a = $1 WHERE id = $2 AND b = $3');
    expect(sqlDialectOf('postgres')).toBe(pg);
  });

  it('uses ? on SQLite, which has no row locks', () => {
    const lite = sqlDialect({ options: { type: 'better-sqlite3' } } as never);
    expect(lite.param(3)).toBe('?');
    expect(lite.params(3, 2)).toBe('?, ?, ?');
    expect(lite.lock('update')).toBe('');
    expect(lite.rowLocks).toBe(false);
    expect(lite.sql('UPDATE t SET a = ? WHERE id = ?')).toBe('UPDATE t SET a = ? WHERE id = ?');
    expect(sqlDialectOf('sqlite')).toBe(lite);
  });
});
