import type { DataSource } from 'typeorm';

/** The parts of a better-sqlite3 connection and statement used here (the driver's own types are not a dependency of this lib). */
interface Statement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}
interface Connection {
  prepare(sql: string): Statement;
}

/** Statements of different text kept prepared per connection; the callers build a few shapes each. */
const MAX_PREPARED = 512;

/**
 * Runs statements on a SQLite data source's one connection (better-sqlite3) without SQLite's busy
 * wait. better-sqlite3 waits for another process's write lock synchronously: for as long as it
 * waits, the whole process stands still (its other refreshes, its HTTP server, its lock watchdogs).
 * With two processes writing the same file (the token API's refresh beside token-refresher's, or
 * two token-refreshers) every collision froze the loser for at least a millisecond, SQLite's
 * shortest busy sleep, while the holder needed a few microseconds. Here a statement runs with the
 * busy timeout at 0 and, refused with SQLITE_BUSY, is tried again from the event loop (next turn,
 * then 1, 2, 4 ... 16 ms apart) for as long as the connection's busy timeout would have waited,
 * after which it fails with that SQLITE_BUSY as before; the process goes on meanwhile.
 * Hand-written: neither TypeORM nor better-sqlite3 has an asynchronous busy wait.
 */
export class SqliteStatements {
  private static readonly byDataSource = new WeakMap<DataSource, SqliteStatements>();
  private readonly prepared = new Map<string, Statement>();
  private readonly busyTimeoutRead: Statement;
  private readonly busyTimeoutSet = new Map<number, Statement>();

  private constructor(private readonly connection: Connection) {
    this.busyTimeoutRead = connection.prepare('PRAGMA busy_timeout');
  }

  /** The statements of a SQLite data source; undefined for PostgreSQL (its pool waits without blocking). */
  static of(dataSource: DataSource): SqliteStatements | undefined {
    if (dataSource.options.type !== 'better-sqlite3') return undefined;
    let statements = SqliteStatements.byDataSource.get(dataSource);
    if (!statements) {
      const connection = (dataSource.driver as unknown as { databaseConnection?: Connection }).databaseConnection;
      if (!connection) throw new Error('the SQLite data source is not initialized');
      SqliteStatements.byDataSource.set(dataSource, (statements = new SqliteStatements(connection)));
    }
    return statements;
  }

  /** The rows of a statement that returns rows (SELECT, or a write with RETURNING). */
  async rows(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    const statement = this.statement(sql);
    if (!statement.reader) throw new Error('SqliteStatements.rows runs statements that return rows (SELECT, RETURNING)');
    // better-sqlite3 binds no booleans (as TypeORM's driver does: 1 / 0).
    const values = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    const started = Date.now();
    let pause = 0;
    for (;;) {
      const { budget, rows, error } = this.once(statement, values);
      if (rows) return rows as Array<Record<string, unknown>>;
      if (!isBusy(error) || Date.now() - started >= budget) throw error;
      await (pause === 0 ? new Promise((resolve) => setImmediate(resolve)) : new Promise((resolve) => setTimeout(resolve, pause)));
      pause = pause === 0 ? 1 : Math.min(pause * 2, 16);
    }
  }

  /** One try with the busy timeout at 0, set back before anything else in this process can run. */
  private once(statement: Statement, values: unknown[]): { budget: number; rows?: unknown[]; error?: unknown } {
    const budget = Number((this.busyTimeoutRead.get() as { timeout: number }).timeout);
    if (budget > 0) this.setBusyTimeout(0);
    try {
      return { budget, rows: statement.all(...values) };
    } catch (error) {
      // As thrown: better-sqlite3's SqliteError need not be an Error of this realm (jest's vm contexts).
      return { budget, error };
    } finally {
      if (budget > 0) this.setBusyTimeout(budget);
    }
  }

  private setBusyTimeout(ms: number): void {
    let statement = this.busyTimeoutSet.get(ms);
    if (!statement) this.busyTimeoutSet.set(ms, (statement = this.connection.prepare(`PRAGMA busy_timeout = ${Math.trunc(ms)}`)));
    statement.get();
  }

  private statement(sql: string): Statement {
    let statement = this.prepared.get(sql);
    if (!statement) {
      if (this.prepared.size >= MAX_PREPARED) this.prepared.clear();
      this.prepared.set(sql, (statement = this.connection.prepare(sql)));
    }
    return statement;
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT: another process committed since this statement's read began). */
function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
