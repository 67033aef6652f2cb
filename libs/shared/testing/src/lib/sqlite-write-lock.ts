import { spawn } from 'node:child_process';

export interface SqliteWriteLock {
  /** Ends the other process's transaction (ROLLBACK) and waits for it to exit: writers go on. */
  release(): Promise<void>;
}

// The holder: a separate process, as the operator's shell or the backup tool would be, and so that
// waiting for the lock (better-sqlite3 is synchronous) never blocks the test's own event loop.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1], { timeout: 10000 });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
const release = () => { db.exec('ROLLBACK'); db.close(); process.exit(0); };
const after = Number(process.argv[2]);
if (after > 0) setTimeout(release, after);
process.stdin.on('data', () => undefined);
process.stdin.on('end', release);
`;

export interface SqliteWriteLockOptions {
  /**
   * The holder lets go by itself this long after it took the lock (by its own clock, whatever the
   * test process is doing), as a backup tool finishing would; release() still ends it earlier.
   */
  releaseAfterMs?: number;
}

/**
 * A SQLite "database outage" that really happens: another process (an operator's `sqlite3` shell
 * left in a transaction, a backup tool) holds the write lock. Readers go on (WAL), every writer
 * waits its busy timeout and then fails with SQLITE_BUSY, exactly the failure a refresh meets when
 * it has the provider's answer and cannot store it. Resolves once the lock is held.
 *
 * Making the file unwritable (chmod) is not a fault the running processes would see: they keep
 * their open file descriptors and write on. Deleting or replacing the file is data loss, not an outage.
 */
export function holdSqliteWriteLock(file: string, options: SqliteWriteLockOptions = {}): Promise<SqliteWriteLock> {
  const child = spawn(process.execPath, ['-e', HOLDER, file, String(options.releaseAfterMs ?? 0)], { stdio: ['pipe', 'pipe', 'pipe'], cwd: __dirname });
  let stderr = '';
  // A holder that let go by itself has closed its end already.
  child.stdin.on('error', () => undefined);
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
