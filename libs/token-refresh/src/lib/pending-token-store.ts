import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import { type SealedPlace, SecretBox, SecretDecryptionError } from '@flow-oauth/secrets';
import type { Redis } from 'ioredis';

/**
 * How long a pending token set is kept: longer than every retry of its background refresh (about an hour)
 * and than a sweep's reach, so whichever path comes next finds it.
 */
export const PENDING_TOKEN_SET_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Where a refresh keeps the token set a provider issued until the database has it (sealed by
 * ConnectorTokenStore; this store never sees a token in clear). Keyed by connector and by the
 * token version the set replaces, so only a refresh that read that very version writes it.
 * Redis today; a PostgreSQL-only deployment will bring its own implementation.
 */
export abstract class PendingTokenStore {
  /** Keeps a sealed token set; rejects when the store cannot take it. */
  abstract put(connectorId: string, baseVersion: number, sealed: string): Promise<void>;
  /** The sealed token set kept for this connector and version, if any. */
  abstract get(connectorId: string, baseVersion: number): Promise<string | undefined>;
  /** Forgets it once the database has the tokens. */
  abstract drop(connectorId: string, baseVersion: number): Promise<void>;
}

/** Where a pending token set is sealed for (AEAD additional data): its connector and the token version it replaces. */
export function pendingTokenSetPlace(connectorId: string, baseVersion: number): SealedPlace {
  return { table: 'redis', column: 'pending-tokens', row: `${connectorId}.v${baseVersion}` };
}

/** Replaces a value only if it is still the one read (a refresh may have dropped or replaced it meanwhile); keeps its TTL. */
const COMPARE_AND_SET = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end return 0`;

/**
 * Key rotation of the pending token sets in Redis (RedisPendingTokenStore's keys): every set not
 * sealed with the ring's current key is sealed again with it, so none is lost when the old key
 * leaves FLOW_ENCRYPTION_OLD_KEYS (a set holds tokens a provider issued once, often a rotated refresh
 * token). A set no key of the ring opens is left as it is and counted. Throws when Redis does not answer.
 */
export async function resealPendingTokenSets(redis: Redis, queuePrefix: string, box: SecretBox): Promise<{ resealed: number; unreadable: number }> {
  const head = `${queuePrefix}:pending-tokens:`;
  const counts = { resealed: 0, unreadable: 0 };
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const match = /^(.+):v(\d+)$/.exec(key.slice(head.length));
      const sealed = match ? await redis.get(key) : null;
      if (!match || sealed === null || SecretBox.keyIdOfSealed(sealed) === box.keyId) continue;
      let resealed: string;
      try {
        resealed = box.reseal(sealed, pendingTokenSetPlace(match[1], Number(match[2])));
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        counts.unreadable += 1;
        continue;
      }
      if (Number(await redis.eval(COMPARE_AND_SET, 1, key, sealed, resealed)) === 1) counts.resealed += 1;
    }
  } while (cursor !== '0');
  return counts;
}

/** PendingTokenStore on Redis: one key per connector and token version, with a TTL. */
@Injectable()
export class RedisPendingTokenStore extends PendingTokenStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  /** The Redis key of a pending token set. */
  key(connectorId: string, baseVersion: number): string {
    return `${this.config.queuePrefix}:pending-tokens:${connectorId}:v${baseVersion}`;
  }

  async put(connectorId: string, baseVersion: number, sealed: string): Promise<void> {
    await this.redis.set(this.key(connectorId, baseVersion), sealed, 'EX', PENDING_TOKEN_SET_TTL_SECONDS);
  }

  async get(connectorId: string, baseVersion: number): Promise<string | undefined> {
    return (await this.redis.get(this.key(connectorId, baseVersion))) ?? undefined;
  }

  async drop(connectorId: string, baseVersion: number): Promise<void> {
    await this.redis.del(this.key(connectorId, baseVersion));
  }
}
