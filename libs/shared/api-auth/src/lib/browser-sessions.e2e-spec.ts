import { createHash } from 'node:crypto';
import { testConfig, testRedisPrefix, TEST_REDIS_URL } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { BROWSER_SESSION_TTL_SECONDS, BrowserSessions, FLOW_SESSION_COOKIE, RedisBrowserSessions } from './browser-sessions';

describe('Flow browser sessions in Redis', () => {
  const prefix = testRedisPrefix('sessions');
  const redis = new Redis(TEST_REDIS_URL);
  const sessions = new RedisBrowserSessions(redis, testConfig({ FLOW_QUEUE_PREFIX: prefix }));
  const keyHash = createHash('sha256').update('flow_u_some-user-key').digest('hex');

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a session names its user through the flow_session cookie until it is destroyed', async () => {
    const { id, expiresAt } = await sessions.create({ kind: 'user', name: 'alice' }, keyHash);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + (BROWSER_SESSION_TTL_SECONDS - 60) * 1000);
    expect(await sessions.userOf(id)).toBe('alice');
    expect(await sessions.read(id)).toEqual({ kind: 'user', name: 'alice', keyCheck: BrowserSessions.keyCheck(id, keyHash) });
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: id } })).toBe('alice');
    await sessions.destroy(id);
    expect(await sessions.userOf(id)).toBeUndefined();
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: id } })).toBeUndefined();
  });

  it('stores the id only as its hash, and neither the key nor its plain hash, expiring with the session', async () => {
    const { id } = await sessions.create({ kind: 'user', name: 'bob' }, keyHash);
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys.some((k) => k.includes(id))).toBe(false);
    const key = `${prefix}:browser-session:${createHash('sha256').update(id).digest('hex')}`;
    const stored = (await redis.get(key)) as string;
    expect(JSON.parse(stored)).toMatchObject({ kind: 'user', name: 'bob' });
    expect(stored).not.toContain(keyHash);
    expect(stored).not.toContain(id);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(BROWSER_SESSION_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(BROWSER_SESSION_TTL_SECONDS);
  });

  it('no cookie, a malformed or an unknown id, or a value that is not a session record is no session', async () => {
    expect(await sessions.find({})).toBeUndefined();
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: 'short' } })).toBeUndefined();
    expect(await sessions.find({ cookies: { [FLOW_SESSION_COOKIE]: ['a'] } })).toBeUndefined();
    expect(await sessions.userOf('A'.repeat(43))).toBeUndefined();
    await redis.set(`${prefix}:browser-session:${createHash('sha256').update('B'.repeat(43)).digest('hex')}`, 'mallory', 'EX', 60);
    expect(await sessions.read('B'.repeat(43))).toBeUndefined();
    await expect(sessions.create({ kind: 'user', name: '' }, keyHash)).rejects.toThrow();
  });
});
