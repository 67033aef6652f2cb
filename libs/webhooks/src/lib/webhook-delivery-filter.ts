import { ApiError } from '@flow-oauth/http-common';
import { WEBHOOK_EVENTS } from './webhook-events';
import type { DeliveryFilter } from './webhook-outbox';

const STATUSES = ['pending', 'delivered', 'failed'] as const;
export const DELIVERIES_DEFAULT_LIMIT = 100;
export const DELIVERIES_MAX_LIMIT = 1000;

/**
 * Reads `GET /api/webhooks/deliveries` query parameters: `status` (pending, delivered, failed),
 * `event`, `connector` (an id) or `subject`, `limit`. Anything else is a 400 naming the parameter.
 */
export function parseDeliveryFilter(query: Record<string, unknown>): DeliveryFilter {
  const problems: string[] = [];
  const known = ['status', 'event', 'connector', 'subject', 'limit'];
  for (const key of Object.keys(query)) if (!known.includes(key)) problems.push(`unknown parameter ${key.slice(0, 40)} (use ${known.join(', ')})`);
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'string') return value;
    problems.push(`${name} must be given once`);
    return undefined;
  };
  const filter: DeliveryFilter = { limit: DELIVERIES_DEFAULT_LIMIT };
  const status = text('status');
  if (status !== undefined) {
    if ((STATUSES as readonly string[]).includes(status)) filter.status = status as DeliveryFilter['status'];
    else problems.push(`status must be one of ${STATUSES.join(', ')}`);
  }
  const event = text('event');
  if (event !== undefined) {
    if ((WEBHOOK_EVENTS as readonly string[]).includes(event)) filter.event = event;
    else problems.push(`event must be one of ${WEBHOOK_EVENTS.join(', ')}`);
  }
  const connector = text('connector');
  const subject = text('subject');
  if (connector !== undefined && subject !== undefined) problems.push('give connector or subject, not both');
  else if (connector !== undefined) {
    if (/^[0-9a-f-]{36}$/.test(connector)) filter.subject = `connector:${connector}`;
    else problems.push('connector must be a connector id');
  } else if (subject !== undefined) {
    if (/^(connector|provider):[0-9a-f-]{36}$/.test(subject)) filter.subject = subject;
    else problems.push('subject must be connector:<id> or provider:<id>');
  }
  const limit = text('limit');
  if (limit !== undefined) {
    const n = /^\d{1,5}$/.test(limit) ? Number(limit) : Number.NaN;
    if (n >= 1 && n <= DELIVERIES_MAX_LIMIT) filter.limit = n;
    else problems.push(`limit must be a whole number from 1 to ${DELIVERIES_MAX_LIMIT}`);
  }
  if (problems.length > 0) throw new ApiError(400, 'invalid_request', problems.join('; '), { problems });
  return filter;
}
