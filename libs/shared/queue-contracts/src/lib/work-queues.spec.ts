import { DEFAULT_JOB_OPTIONS, QueueName, TokenRefreshJobName, WebhookJobName, refreshJobId } from './work-queues';

describe('work queue contracts', () => {
  it('uses kebab-case queue and job names', () => {
    for (const name of [...Object.values(QueueName), ...Object.values(TokenRefreshJobName), ...Object.values(WebhookJobName)]) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('gives a connector the same refresh job id every time', () => {
    expect(refreshJobId('c0ffee-42')).toBe(refreshJobId('c0ffee-42'));
  });

  it('never puts a colon in a refresh job id and keeps distinct connectors distinct', () => {
    const ids = ['a:b', 'a_b', 'a%3Ab', 'a-b', '12'].map(refreshJobId);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(id).not.toMatch(/^\d+$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses an empty connector id', () => {
    expect(() => refreshJobId('')).toThrow(/connectorId/);
  });

  it('retries with jittered exponential backoff and keeps a bounded job history', () => {
    expect(DEFAULT_JOB_OPTIONS.attempts).toBeGreaterThan(1);
    expect(DEFAULT_JOB_OPTIONS.backoff.type).toBe('exponential');
    expect(DEFAULT_JOB_OPTIONS.backoff.jitter).toBeGreaterThan(0);
    expect(DEFAULT_JOB_OPTIONS.removeOnComplete).toBe(100);
    expect(DEFAULT_JOB_OPTIONS.removeOnFail).toBe(500);
  });
});
