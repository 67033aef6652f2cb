// Messages of errors that mean the database or Redis did not answer (ours say "Redis did not ...").
const DEPENDENCY_ERRORS = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|Connection is closed|SQLITE_BUSY|Connection terminated|Command timed out|max retries per request|Redis did not|Stream isn't writeable/i;

/** Whether an error means a dependency (database or Redis) is down: answered with 503, not 500. */
export function isDependencyError(error: unknown): boolean {
  return DEPENDENCY_ERRORS.test(error instanceof Error ? error.message : String(error));
}
