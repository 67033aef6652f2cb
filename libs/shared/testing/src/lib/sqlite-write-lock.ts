import { spawn } from 'node:child_process';

export interface SqliteWriteLock {
  /** Ends the other process's transaction (ROLLBACK) and waits for it to exit: writers go on. */
  release(): Promise<void>;
}

// The holder: a separate process, as the operator's shell or the backup tool would be, and so that
// waiting for the lock (better-sqlite3 is synchronous) never blocks the test's own event loop.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1], { timeout: Number(process.argv[2]) });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
`;

/**
 * A SQLite "database outage" that really happens: another process (an operator's `sqlite3` shell
 * left in a transaction, a backup tool) holds the write lock. Readers go on (WAL), every writer
 * waits its busy timeout and then fails with SQLITE_BUSY, exactly the failure a refresh meets when
 * it has the provider's answer and cannot store it. Resolves once the lock is held.
 *
 * Making the file unwritable (chmod) is not a fault the running processes would see: they keep
 * their open file descriptors and write on. Deleting or replacing the file is data loss, not an outage.
 */
export function holdSqliteWriteLock(file: string, waitMs = 10_000): Promise<SqliteWriteLock> {
  const child = spawn(process.execPath, ['-e', HOLDER, file, String(waitMs)], { stdio: ['pipe', 'pipe', 'pipe'], cwd: __dirname });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () =>
      resolve({
        async release() {
          child.stdin.end();
          const code = await exited;
          if (code !== 0) throw new Error(`the SQLite lock holder exited with ${code}: ${stderr}`);
        },
      }),
    );
    void exited.then((code) => reject(new Error(`could not take the SQLite write lock (exit ${code}): ${stderr}`)));
  });
}
