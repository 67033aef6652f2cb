import { ApiError } from '@flow-oauth/http-common';

/** Which entries to read, oldest first. */
export interface AuditFilter {
  /** ISO 8601: entries at or after this time. */
  since?: string;
  /** ISO 8601: entries before this time. */
  until?: string;
  /** An exact type (`connector.created`) or a family (`connector.*`). */
  type?: string;
  /** An exact actor (`admin`, `system`, `user:alice`). */
  actor?: string;
  /** An exact subject (`connector:<id>`, `user:alice`). */
  subject?: string;
  /** Entries after this id (paging: pass the last id of the previous page). */
  after?: number;
  limit: number;
}

export const AUDIT_DEFAULT_LIMIT = 1000;
export const AUDIT_MAX_LIMIT = 10_000;

const DURATION = /^(\d{1,6})([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const TYPE = /^[a-z_]+(?:\.(?:[a-z_]+|\*))?$/;
const NAME = /^[A-Za-z0-9_.:@/-]{1,200}$/;

/**
 * Reads `GET /api/audit` query parameters: `since` / `until` (an ISO 8601 time, or a duration back
 * from now such as `24h`, `7d`), `type` (exact or `family.*`), `actor`, `subject`, `after`, `limit`.
 * Anything else, or a value that does not parse, is a 400 naming the parameter.
 */
export function parseAuditFilter(query: Record<string, unknown>, now: number = Date.now()): AuditFilter {
  const problems: string[] = [];
  const known = new Set(['since', 'until', 'type', 'actor', 'subject', 'after', 'limit']);
  for (const key of Object.keys(query)) if (!known.has(key)) problems.push(`unknown parameter ${key.slice(0, 40)} (use ${[...known].join(', ')})`);
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      problems.push(`${name} must be given once`);
      return undefined;
    }
    return value;
  };
  const time = (name: string): string | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const duration = DURATION.exec(value);
    if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2]]).toISOString();
    const parsed = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(parsed)) {
      problems.push(`${name} must be an ISO 8601 time (2026-11-30T10:00:00Z) or a duration back from now (30m, 24h, 7d)`);
      return undefined;
    }
    return new Date(parsed).toISOString();
  };
  const filter: AuditFilter = { limit: AUDIT_DEFAULT_LIMIT };
  const since = time('since');
  const until = time('until');
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  const type = text('type');
  if (type !== undefined) {
    if (TYPE.test(type)) filter.type = type;
    else problems.push('type must be an entry type such as connector.created, or a family such as connector.*');
  }
  for (const name of ['actor', 'subject'] as const) {
    const value = text(name);
    if (value === undefined) continue;
    if (NAME.test(value)) filter[name] = value;
    else problems.push(`${name} must be 1-200 letters, digits and _ . : @ / -`);
  }
  const whole = (name: 'after' | 'limit', min: number, max: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  };
  const after = whole('after', 0, 2_000_000_000);
  if (after !== undefined) filter.after = after;
  filter.limit = whole('limit', 1, AUDIT_MAX_LIMIT) ?? AUDIT_DEFAULT_LIMIT;
  if (problems.length > 0) throw new ApiError(400, 'invalid_request', problems.join('; '), { problems });
  return filter;
}
