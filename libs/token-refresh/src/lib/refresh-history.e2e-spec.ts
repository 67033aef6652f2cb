import { testConfig, testRedisPrefix, TEST_REDIS_URL } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { HISTORY_FLUSH_MS, RedisRefreshHistory } from './refresh-history';

describe('hourly refresh history in Redis (the admin page chart)', () => {
  const prefix = testRedisPrefix('history');
  const redis = new Redis(TEST_REDIS_URL);
  const history = new RedisRefreshHistory(redis, testConfig({ FLOW_QUEUE_PREFIX: prefix }));
  const now = new Date('2026-11-30T10:20:00.000Z');
  const hoursAgo = (h: number, minutes = 0) => new Date(now.getTime() - h * 3600_000 + minutes * 60_000);
  const settle = () => redis.ping();

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts outcomes per clock hour for the last 24 hours, refreshed and failed apart, oldest first', async () => {
    history.record('refreshed', hoursAgo(0, -5));
    history.record('refreshed', hoursAgo(0, -15));
    history.record('recovered_pending', hoursAgo(0));
    history.record('provider_error', hoursAgo(0));
    history.record('fresh', hoursAgo(0));
    // Refreshes that never called the provider (connector or provider already refused): not failures.
    history.record('skipped', hoursAgo(0));
    history.record('skipped', hoursAgo(0));
    history.record('needs_reauth', hoursAgo(3));
    history.record('credentials_rejected', hoursAgo(23));
    // 24 hours ago is outside the window of the last 24 clock hours (10:00 today back to 11:00 yesterday).
    history.record('refreshed', hoursAgo(24));
    await settle();
    const hours = await history.lastHours(24, now);
    expect(hours).toHaveLength(24);
    expect(hours[0].hourStart).toBe('2026-11-29T11:00:00.000Z');
    expect(hours[23]).toEqual({ hourStart: '2026-11-30T10:00:00.000Z', refreshed: 3, failed: 1, byOutcome: { refreshed: 2, recovered_pending: 1, provider_error: 1, fresh: 1, skipped: 2 } });
    expect(hours[20]).toMatchObject({ hourStart: '2026-11-30T07:00:00.000Z', refreshed: 0, failed: 1 });
    expect(hours[0]).toMatchObject({ refreshed: 0, failed: 1, byOutcome: { credentials_rejected: 1 } });
    expect(hours.reduce((sum, h) => sum + h.refreshed, 0)).toBe(3);
  });

  it('counts are summed in memory and written within HISTORY_FLUSH_MS, without anyone reading', async () => {
    const at = hoursAgo(5);
    for (let i = 0; i < 50; i++) history.record('refreshed', at);
    history.record('lock_busy', at);
    const key = `${prefix}:refresh-history:${Math.floor(at.getTime() / 3600_000)}`;
    await new Promise((resolve) => setTimeout(resolve, HISTORY_FLUSH_MS * 3));
    expect(await redis.hgetall(key)).toEqual({ refreshed: '50', lock_busy: '1' });
  });

  it('keeps each hour a little over a day, then Redis forgets it', async () => {
    const keys = await redis.keys(`${prefix}:refresh-history:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(24 * 3600);
      expect(ttl).toBeLessThanOrEqual(26 * 3600);
    }
  });

  it('recording never throws nor waits when Redis is gone; reading says so', async () => {
    const gone = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const broken = new RedisRefreshHistory(gone, testConfig({ FLOW_QUEUE_PREFIX: prefix }));
    expect(() => broken.record('refreshed')).not.toThrow();
    await expect(broken.lastHours(24)).rejects.toThrow();
    gone.disconnect();
  });
});
