import { maskUrl } from './masked-url';

describe('maskUrl', () => {
  it('replaces the password and keeps everything else', () => {
    expect(maskUrl('redis://flow:s3cret@redis.internal:6380/2')).toBe('redis://flow:***@redis.internal:6380/2');
    expect(maskUrl('postgres://app:p%40ss@db:5432/flow?sslmode=require')).toBe('postgres://app:***@db:5432/flow?sslmode=require');
    expect(maskUrl('rediss://:only-password@redis:6379')).toBe('rediss://:***@redis:6379');
  });

  it('leaves a URL without a password as it is', () => {
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('never echoes text that is not a URL', () => {
    expect(maskUrl('redis//flow:s3cret@redis.internal')).toBe('(not a valid URL)');
  });
});
