import { jobTokenVersion, RefreshProducer, refreshDueAt } from './refresh.producer';

describe('refreshDueAt', () => {
  const at = (iso: string) => Date.parse(iso);

  it('is expires_at minus the margin for a token that lives longer than twice the margin', () => {
    const due = refreshDueAt({ updatedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z' }, 300);
    expect(due).toBe(at('2026-01-01T00:55:00.000Z'));
  });

  it('is half the lifetime for a token that lives no longer than twice the margin (no refresh loop)', () => {
    const due = refreshDueAt({ updatedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:04:00.000Z' }, 300);
    expect(due).toBe(at('2026-01-01T00:02:00.000Z'));
  });

  it('falls back to the margin when the issue time is unknown', () => {
    expect(refreshDueAt({ updatedAt: 'not a date', expiresAt: '2026-01-01T01:00:00.000Z' }, 60)).toBe(at('2026-01-01T00:59:00.000Z'));
  });
});

describe('refresh job ids', () => {
  it('carry the token version, which jobTokenVersion reads back', () => {
    const id = RefreshProducer.jobId('3f1c-connector', 12);
    expect(id).toBe('refresh-3f1c-connector-v12');
    expect(jobTokenVersion(id)).toBe(12);
    expect(jobTokenVersion('refresh-x')).toBeUndefined();
    expect(jobTokenVersion(undefined)).toBeUndefined();
  });
});
