// What the drivers say when the database or Redis did not answer. Codes first: TypeORM copies the
// driver's `code` onto its QueryFailedError, and a message may quote anything.
// - Node sockets: refused, reset (a PostgreSQL or Redis connection cut mid-query), broken pipe, timeouts.
// - PostgreSQL SQLSTATE class 08 (connection exception) and 57P01-57P03 (the server shutting down or starting).
// - SQLite busy / locked: another connection holds the write lock longer than the busy timeout.
const DEPENDENCY_CODES = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|08\d{3}|57P0[123]|SQLITE_BUSY\w*|SQLITE_LOCKED\w*)$/;
// Messages of errors that carry no code (ioredis, pg-pool, ours say "Redis did not ...").
const DEPENDENCY_MESSAGES =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Connection is closed|SQLITE_BUSY|database is locked|database table is locked|Connection terminated|terminating connection|timeout exceeded when trying to connect|Command timed out|max retries per request|Redis did not|Stream isn't writeable/i;

/** Whether an error means a dependency (database or Redis) is down or busy: answered with 503, not 500. */
export function isDependencyError(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    if (typeof current !== 'object') return DEPENDENCY_MESSAGES.test(String(current));
    const { code, message, driverError, cause } = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === 'string' && DEPENDENCY_CODES.test(code)) return true;
    if (typeof message === 'string' && DEPENDENCY_MESSAGES.test(message)) return true;
    current = driverError ?? cause;
  }
  return false;
}
