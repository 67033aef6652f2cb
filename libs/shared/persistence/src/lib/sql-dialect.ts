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
  /** Whether the database locks rows (PostgreSQL: `FOR UPDATE`, TypeORM's pessimistic locks); SQLite locks the whole file on write instead. */
  readonly rowLocks: boolean;
  /**
   * A statement written with `?` placeholders, in this dialect (numbered `$1`, `$2` ... on
   * PostgreSQL). Every `?` in the text must be a placeholder.
   */
  sql(text: string): string;
}

const POSTGRES: SqlDialect = {
  kind: 'postgres',
  param: (n) => `$${n}`,
  params: (count, from = 1) => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', '),
  lock: (mode) => (mode === 'share' ? ' FOR SHARE' : ' FOR UPDATE'),
  rowLocks: true,
  sql: (text) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  },
};

const SQLITE: SqlDialect = {
  kind: 'sqlite',
  param: () => '?',
  params: (count) => Array.from({ length: count }, () => '?').join(', '),
  lock: () => '',
  rowLocks: false,
  sql: (text) => text,
};

/** The dialect of a data source. */
export function sqlDialect(dataSource: Pick<DataSource, 'options'>): SqlDialect {
  return dataSource.options.type === 'postgres' ? POSTGRES : SQLITE;
}

/** The dialect of a database kind (tests and tools that name the kind rather than hold a data source). */
export function sqlDialectOf(kind: 'sqlite' | 'postgres'): SqlDialect {
  return kind === 'postgres' ? POSTGRES : SQLITE;
}

/**
 * How many rows an `UPDATE ... RETURNING` touched, as `DataSource.query` answers it: PostgreSQL's
 * driver gives `[rows, count]` for an UPDATE, SQLite's the returned rows.
 */
export function updatedRowCount(result: unknown): number {
  if (!Array.isArray(result)) return 0;
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
