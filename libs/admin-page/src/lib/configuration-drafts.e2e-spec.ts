import { randomBytes } from 'node:crypto';
import { SecretBox } from '@flow-oauth/secrets';
import { testConfig, testRedisPrefix, TEST_REDIS_URL } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { DRAFT_TTL_SECONDS, RedisConfigurationDrafts } from './configuration-drafts';

describe('configuration drafts between plan and apply (real Redis)', () => {
  const prefix = testRedisPrefix('drafts');
  const redis = new Redis(TEST_REDIS_URL);
  const drafts = new RedisConfigurationDrafts(redis, new SecretBox(randomBytes(32)), testConfig({ FLOW_QUEUE_PREFIX: prefix }));
  const file = '{"slack":{"Slack-1":{"CLIENT_ID":"1","CLIENT_SECRET":"draft-Secret-4Wq"}}}';

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('keeps the text sealed under the hash of a random id, for its session only, for 10 minutes', async () => {
    const id = await drafts.save(file, 'session-a');
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keys = await redis.keys(`${prefix}:config-draft:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(id);
    const stored = (await redis.get(keys[0])) as string;
    expect(stored).not.toContain('draft-Secret-4Wq');
    expect(stored).not.toContain('Slack-1');
    expect(await redis.ttl(keys[0])).toBeLessThanOrEqual(DRAFT_TTL_SECONDS);
    expect(await drafts.get(id, 'session-b')).toBeUndefined();
    expect(await drafts.get(id, 'session-a')).toBe(file);
    await drafts.drop(id);
    expect(await drafts.get(id, 'session-a')).toBeUndefined();
  });

  it('an unknown or malformed id is no draft', async () => {
    expect(await drafts.get('A'.repeat(43), 'session-a')).toBeUndefined();
    expect(await drafts.get('../../x', 'session-a')).toBeUndefined();
  });
});
