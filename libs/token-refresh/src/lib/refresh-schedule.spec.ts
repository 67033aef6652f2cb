import { connectorDueAt, nextRefreshTime, refreshDueAt, refreshRetryDelay } from './refresh-schedule';

const at = (iso: string) => new Date(iso);

describe('nextRefreshTime', () => {
  it('is expires_at minus the margin for a token that lives longer than twice the margin', () => {
    expect(nextRefreshTime(at('2026-01-01T01:00:00Z'), at('2026-01-01T00:00:00Z'), 300)).toEqual(at('2026-01-01T00:55:00Z'));
  });

  it('is half the lifetime for a token that lives no longer than twice the margin (no refresh loop)', () => {
    expect(nextRefreshTime(at('2026-01-01T00:04:00Z'), at('2026-01-01T00:00:00Z'), 300)).toEqual(at('2026-01-01T00:02:00Z'));
    expect(nextRefreshTime(at('2026-01-01T00:00:06Z'), at('2026-01-01T00:00:00Z'), 300)).toEqual(at('2026-01-01T00:00:03Z'));
  });

  it('is null when the provider gave no expiry: such a token is never refreshed', () => {
    expect(nextRefreshTime(null, at('2026-01-01T00:00:00Z'), 300)).toBeNull();
    expect(nextRefreshTime(new Date(Number.NaN), at('2026-01-01T00:00:00Z'), 300)).toBeNull();
  });

  it('falls back to the margin when the issue time is unknown', () => {
    expect(nextRefreshTime(at('2026-01-01T01:00:00Z'), new Date(Number.NaN), 60)).toEqual(at('2026-01-01T00:59:00Z'));
  });
});

describe('connectorDueAt', () => {
  it('is the stored next refresh time when there is one', () => {
    const due = connectorDueAt({ nextRefreshAt: '2026-01-01T00:30:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' }, 300);
    expect(due).toBe(Date.parse('2026-01-01T00:30:00.000Z'));
  });

  it('is computed from the expiry and issue time when the caller does not know the stored time', () => {
    const row = { expiresAt: '2026-01-01T01:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
    expect(connectorDueAt(row, 300)).toBe(Date.parse('2026-01-01T00:55:00.000Z'));
    expect(refreshDueAt(row, 300)).toBe(Date.parse('2026-01-01T00:55:00.000Z'));
  });

  it('is never (Infinity) when the stored time is null, whatever the expiry (unknown expiry, not refreshable, needs_reauth)', () => {
    expect(connectorDueAt({ nextRefreshAt: null, expiresAt: '2026-01-01T01:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' }, 300)).toBe(Number.POSITIVE_INFINITY);
    expect(connectorDueAt({ expiresAt: null, updatedAt: '2026-01-01T00:00:00.000Z' }, 300)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('refreshRetryDelay', () => {
  const top = () => 0.999999;
  const bottom = () => 0;

  it('doubles the provider backoff per attempt, with a random share of at most `jitter`', () => {
    expect(refreshRetryDelay(1, new Error('provider down'), 30_000, 0.5, top)).toBe(29_999);
    expect(refreshRetryDelay(1, new Error('provider down'), 30_000, 0.5, bottom)).toBe(15_000);
    expect(refreshRetryDelay(3, new Error('provider down'), 30_000, 0, bottom)).toBe(120_000);
  });

  it('retries within seconds when only the database refused a write, capped at a minute', () => {
    const storage = Object.assign(new Error('database write failed'), { retrySoon: true as const });
    expect(refreshRetryDelay(1, storage, 30_000, 0, bottom)).toBe(2000);
    expect(refreshRetryDelay(3, storage, 30_000, 0, bottom)).toBe(8000);
    expect(refreshRetryDelay(12, storage, 30_000, 0, bottom)).toBe(60_000);
  });
});
