import { DEFAULT_JOB_OPTIONS, QueueName, WebhookJobName } from './work-queues';

describe('work queue contracts', () => {
  it('uses kebab-case queue and job names', () => {
    for (const name of [...Object.values(QueueName), ...Object.values(WebhookJobName)]) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('retries with jittered exponential backoff and keeps a bounded job history', () => {
    expect(DEFAULT_JOB_OPTIONS.attempts).toBeGreaterThan(1);
    expect(DEFAULT_JOB_OPTIONS.backoff.type).toBe('exponential');
    expect(DEFAULT_JOB_OPTIONS.backoff.jitter).toBeGreaterThan(0);
    expect(DEFAULT_JOB_OPTIONS.removeOnComplete).toBe(100);
    expect(DEFAULT_JOB_OPTIONS.removeOnFail).toBe(500);
  });
});
