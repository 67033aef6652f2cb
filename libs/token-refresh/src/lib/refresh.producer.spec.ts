import { jobTokenVersion, RefreshProducer } from './refresh.producer';

describe('refresh job ids', () => {
  it('carry the token version, which jobTokenVersion reads back', () => {
    const id = RefreshProducer.jobId('3f1c-connector', 12);
    expect(id).toBe('refresh-3f1c-connector-v12');
    expect(jobTokenVersion(id)).toBe(12);
    expect(jobTokenVersion('refresh-x')).toBeUndefined();
    expect(jobTokenVersion(undefined)).toBeUndefined();
  });
});
