import type { Logger } from '@nestjs/common';
import { type DatabaseSettings, maskUrl } from '@flow-oauth/config';
import { Client } from 'pg';

/** How long one attempt to reach PostgreSQL may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Start-up waits here while the database is down, saying so clearly every few seconds (DATABASE_URL
 * named, its password masked), instead of exiting into a pm2 restart loop (SPEC section 7), as
 * waitForRedis does for Redis. SQLite is a file opened in-process: nothing to wait for.
 */
export async function waitForDatabase(settings: DatabaseSettings, logger: Pick<Logger, 'warn' | 'log'>, retryMs = 5000): Promise<void> {
  if (settings.type !== 'postgres') return;
  let warned = false;
  for (;;) {
    try {
      await pingPostgres(settings.url);
      if (warned) logger.log('The database is reachable again; starting.');
      return;
    } catch (error) {
      logger.warn(
        `Database at ${maskUrl(settings.url)} (DATABASE_URL) is not reachable (${describe(error)}). Start PostgreSQL or set DATABASE_URL. ` +
          `Waiting, retrying every ${Math.max(1, Math.round(retryMs / 1000))} s.`,
      );
      warned = true;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

/** Resolves when PostgreSQL accepts a connection and answers SELECT 1 (also `npm start`'s and `npm test`'s pre-flight check). */
export async function pingPostgres(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // An idle client's socket error must not become an uncaught 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The driver's reason, never the URL: pg's messages name host and port, not the password. */
function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const text = e?.message || e?.code || String(error);
  return text.replace(/postgres(ql)?:\/\/\S+/g, (url) => maskUrl(url));
}
