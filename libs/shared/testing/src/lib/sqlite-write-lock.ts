/** The part of better-sqlite3's API used here (the package ships no types, and none are installed). */
interface SqliteConnection {
  exec(sql: string): void;
  close(): void;
}
type SqliteConstructor = new (file: string, options?: { timeout?: number }) => SqliteConnection;

export interface SqliteWriteLock {
  /** Ends the other connection's transaction: writers go on. */
  release(): void;
}

/**
 * A SQLite "database outage" that really happens: another connection (an operator's `sqlite3`
 * shell left in a transaction, a backup tool) holds the write lock. Readers go on (WAL), every
 * writer waits its busy timeout and then fails with SQLITE_BUSY, exactly the failure a refresh
 * meets when it has the provider's answer and cannot store it.
 *
 * Making the file unwritable (chmod) is not a fault the running processes would see: they keep
 * their open file descriptors and write on. Deleting or replacing the file is data loss, not an outage.
 */
export function holdSqliteWriteLock(file: string, waitMs = 10_000): SqliteWriteLock {
  const Database = require('better-sqlite3') as SqliteConstructor;
  const connection = new Database(file, { timeout: waitMs });
  try {
    connection.exec('BEGIN IMMEDIATE');
  } catch (error) {
    connection.close();
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      try {
        connection.exec('ROLLBACK');
      } finally {
        connection.close();
      }
    },
  };
}
