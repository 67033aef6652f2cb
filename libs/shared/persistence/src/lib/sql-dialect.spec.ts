import { sqlDialect } from './sql-dialect';

describe('sqlDialect', () => {
  it('numbers PostgreSQL placeholders and locks rows', () => {
    const pg = sqlDialect({ options: { type: 'postgres' } } as never);
    expect(pg.param(3)).toBe('$3');
    expect(pg.params(3, 2)).toBe('$2, $3, $4');
    expect(pg.lock('share')).toBe(' FOR SHARE');
    expect(pg.lock('update')).toBe(' FOR UPDATE');
  });

  it('uses ? on SQLite, which has no row locks', () => {
    const lite = sqlDialect({ options: { type: 'better-sqlite3' } } as never);
    expect(lite.param(3)).toBe('?');
    expect(lite.params(3, 2)).toBe('?, ?, ?');
    expect(lite.lock('update')).toBe('');
  });
});
