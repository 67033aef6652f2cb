import { randomBytes } from 'node:crypto';
import { SecretBox, SecretDecryptionError } from '@flow-oauth/secrets';
import { testConfig, testRedisPrefix } from '@flow-oauth/testing';
import { Redis } from 'ioredis';
import { AuthorizationStateStore, type PendingAuthorization } from './authorization-state.store';

// The pending sign-in is the one sealed value kept in Redis (10 minutes); it is never re-sealed by a
// key rotation, so it must open with an old key of the ring, and only under its own state.
describe('AuthorizationStateStore with the key ring (real Redis)', () => {
  const config = testConfig({ FLOW_QUEUE_PREFIX: testRedisPrefix('state-ring') });
  const redis = new Redis(config.redisUrl);
  const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
  const pending = (): PendingAuthorization => ({
    type: 'odata',
    providerId: 'p-1',
    providerName: 'OData-1',
    providerFingerprint: 'f',
    label: 'My_OData',
    owner: 'alice',
    params: {},
    scope: 'openid',
    codeVerifier: `verifier-${randomBytes(16).toString('hex')}`,
    createdAt: new Date().toISOString(),
  });
  const stateKeys = async () => (await redis.keys(`${config.queuePrefix}:oauth-state:*`)).sort();

  afterAll(async () => {
    const keys = await stateKeys();
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a sign-in started before the restart with the new key finishes while the old key is in FLOW_ENCRYPTION_OLD_KEYS', async () => {
    const state = AuthorizationStateStore.newState();
    const started = pending();
    await new AuthorizationStateStore(redis, new SecretBox(oldKey), config).save(state, started);
    expect(await new AuthorizationStateStore(redis, new SecretBox(newKey, [oldKey]), config).consume(state)).toEqual(started);
  });

  it('once the old key is removed, such a sign-in no longer opens (hence: keep the old key 10 minutes)', async () => {
    const state = AuthorizationStateStore.newState();
    await new AuthorizationStateStore(redis, new SecretBox(oldKey), config).save(state, pending());
    await expect(new AuthorizationStateStore(redis, new SecretBox(newKey), config).consume(state)).rejects.toThrow(SecretDecryptionError);
  });

  it('a pending sign-in copied under another state does not open, and its PKCE verifier is not revealed', async () => {
    const store = new AuthorizationStateStore(redis, new SecretBox(newKey), config);
    const [victimState, attackerState] = [AuthorizationStateStore.newState(), AuthorizationStateStore.newState()];
    const victim = pending();
    await store.save(victimState, victim);
    const [victimKey] = await stateKeys();
    await store.save(attackerState, pending());
    const attackerKey = (await stateKeys()).find((k) => k !== victimKey) as string;
    await redis.set(attackerKey, (await redis.get(victimKey)) as string, 'EX', 60);

    const error = await store.consume(attackerState).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect(error?.message).toContain('redis.oauth-state.');
    expect(error?.message).not.toContain(victim.codeVerifier);
    expect(await store.consume(victimState)).toEqual(victim);
  });
});
