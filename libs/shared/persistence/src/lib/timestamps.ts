/** Timestamps are stored as ISO 8601 UTC strings: same column type on SQLite and PostgreSQL, and they sort. */
export function nowIso(): string {
  return new Date().toISOString();
}
