/** A configured URL (REDIS_URL, DATABASE_URL) fit for a message or a log line: any password replaced by `***`. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Never echo what could not be parsed: it may hold a password in a shape URL does not know.
    return '(not a valid URL)';
  }
}
