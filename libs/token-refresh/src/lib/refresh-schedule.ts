/**
 * The pure decisions of the refresh schedule: when a token is due, and how long a failed refresh
 * waits before its next attempt.
 */

/**
 * When a token is due for refresh: `expires_at - margin`, but never earlier than half its lifetime,
 * so a token that lives no longer than twice the margin (short PingFederate lifetimes) is not
 * refreshed in a loop. Null when the token has no known expiry: it is never refreshed.
 */
export function nextRefreshTime(expiresAt: Date | null, issuedAt: Date, marginSeconds: number): Date | null {
  if (!expiresAt || !Number.isFinite(expiresAt.getTime())) return null;
  const expires = expiresAt.getTime();
  const issued = issuedAt.getTime();
  const lifetime = Number.isFinite(issued) ? Math.max(0, expires - issued) : Infinity;
  return new Date(expires - Math.min(marginSeconds * 1000, lifetime / 2));
}

/**
 * The same rule for a stored connector whose next refresh time was not written (rows written
 * before the schedule column existed): `updated_at` was the tokens' issue time.
 */
export function refreshDueAt(connector: { expiresAt: string | null; updatedAt: string }, marginSeconds: number): number {
  const due = nextRefreshTime(connector.expiresAt === null ? null : new Date(connector.expiresAt), new Date(connector.updatedAt), marginSeconds);
  return due ? due.getTime() : Number.POSITIVE_INFINITY;
}

/**
 * A connector's due time in ms: its stored next refresh time (null: never, Infinity); computed from
 * its expiry only when the caller does not know the stored time (undefined).
 */
export function connectorDueAt(connector: { nextRefreshAt?: string | null; expiresAt: string | null; updatedAt: string }, marginSeconds: number): number {
  if (connector.nextRefreshAt === undefined) return refreshDueAt(connector, marginSeconds);
  const at = connector.nextRefreshAt === null ? Number.NaN : Date.parse(connector.nextRefreshAt);
  return Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
}

/** Errors that did not involve the provider's answer (the database refused a write) and are worth retrying soon. */
export interface RetrySoon {
  readonly retrySoon: true;
}

/** True for a failure that did not involve the provider's answer (RetrySoon). */
export function isRetrySoon(error: unknown): error is RetrySoon {
  return typeof error === 'object' && error !== null && (error as Partial<RetrySoon>).retrySoon === true;
}

const SOON_BASE_MS = 2000;
const SOON_MAX_MS = 60_000;

/**
 * How long a background refresh waits before attempt `attemptsMade + 1`, with jitter (a fraction `jitter`
 * of each wait is random, so jobs that failed together do not retry together):
 * - the provider failed (network, 5xx): `delayMs` doubled per attempt (30 s, 1 min, 2 min ...), at most `maxMs` (before the jitter, so waits at the cap still spread);
 * - the database did not take a write: 2 s doubled per attempt, at most a minute: the provider is
 *   not called again (a token set it issued waits in the pending store), so retrying soon costs it nothing.
 */
export function refreshRetryDelay(attemptsMade: number, error: unknown, delayMs: number, jitter: number, random: () => number = Math.random, maxMs = Number.POSITIVE_INFINITY): number {
  const step = Math.max(0, attemptsMade - 1);
  const max = isRetrySoon(error) ? Math.min(SOON_BASE_MS * 2 ** step, SOON_MAX_MS) : Math.min(delayMs * 2 ** step, maxMs);
  const spread = Math.min(Math.max(jitter, 0), 1);
  return Math.floor(max * (1 - spread) + random() * max * spread);
}
