import { createHash } from 'node:crypto';
import { testConfig, testRedisPrefix, TEST_REDIS_URL } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { BROWSER_SESSION_TTL_SECONDS, FLOW_SESSION_COOKIE, RedisBrowserSessions } from './browser-sessions';

describe('Flow browser sessions in Redis', () => {
  const prefix = testRedisPrefix('sessions');
  const redis = new Redis(TEST_REDIS_URL);
  const sessions = new RedisBrowserSessions(redis, testConfig({ FLOW_QUEUE_PREFIX: prefix }));

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a session names its user through the flow_session cookie until it is destroyed', async () => {
    const { id, expiresAt } = await sessions.create('alice');
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + (BROWSER_SESSION_TTL_SECONDS - 60) * 1000);
    expect(await sessions.userOf(id)).toBe('alice');
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: id } })).toBe('alice');
    await sessions.destroy(id);
    expect(await sessions.userOf(id)).toBeUndefined();
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: id } })).toBeUndefined();
  });

  it('stores the id only as its hash, expiring with the session', async () => {
    const { id } = await sessions.create('bob');
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.some((k) => k.includes(id))).toBe(false);
    const key = `${prefix}:browser-session:${createHash('sha256').update(id).digest('hex')}`;
    expect(await redis.get(key)).toBe('bob');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(BROWSER_SESSION_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(BROWSER_SESSION_TTL_SECONDS);
  });

  it('no cookie, a malformed or an unknown id is no session', async () => {
    expect(await sessions.find({})).toBeUndefined();
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: 'short' } })).toBeUndefined();
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: ['a'] } })).toBeUndefined();
    expect(await sessions.userOf('A'.repeat(43))).toBeUndefined();
    await expect(sessions.create('')).rejects.toThrow();
  });
});
