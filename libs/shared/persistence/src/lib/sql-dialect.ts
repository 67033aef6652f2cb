import type { DataSource } from 'typeorm';

/**
 * The few places where hand-written SQL differs between SQLite and PostgreSQL, in one home:
 * parameter placeholders (`?` vs `$1`) and row-lock clauses (SQLite locks the whole file on write,
 * so it has none).
 */
export interface SqlDialect {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * The placeholder of the n-th parameter (1-based). SQLite's `?` is positional: give each
   * placeholder its own number and value, never reuse one.
   */
  param(n: number): string;
  /** Placeholders for `count` parameters starting at the `from`-th, comma separated (for `IN (...)`). */
  params(count: number, from?: number): string;
  /** ` FOR SHARE` / ` FOR UPDATE` on PostgreSQL; empty on SQLite. */
  lock(mode: 'share' | 'update'): string;
}

const POSTGRES: SqlDialect = {
  kind: 'postgres',
  param: (n) => `$${n}`,
  params: (count, from = 1) => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', '),
  lock: (mode) => (mode === 'share' ? ' FOR SHARE' : ' FOR UPDATE'),
};

const SQLITE: SqlDialect = {
  kind: 'sqlite',
  param: () => '?',
  params: (count) => Array.from({ length: count }, () => '?').join(', '),
  lock: () => '',
};

/** The dialect of a data source. */
export function sqlDialect(dataSource: Pick<DataSource, 'options'>): SqlDialect {
  return dataSource.options.type === 'postgres' ? POSTGRES : SQLITE;
}
