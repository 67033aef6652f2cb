import { Inject, Injectable, Logger } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { normalizeIp, type ThrottlerStorage } from '@nestjs/throttler';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

/** What counting one failure decided. */
export interface FailureVerdict {
  blocked: boolean;
  /** Seconds until the address may present a key again (0 when not blocked). */
  retryAfterSeconds: number;
}

const THROTTLER_NAME = 'auth-failures';
// An attacker with many addresses could grow the map; each entry costs them `limit` failures, and
// expired entries are dropped first, so this bound is only a backstop.
const MAX_REMEMBERED_BLOCKS = 100_000;
const REDIS_WARNING_INTERVAL_MS = 60_000;

/**
 * Failed authentication per client address, counted in Redis so every instance of every service
 * shares one count (@nestjs/throttler's storage API, @nest-lab/throttler-storage-redis's atomic
 * script). Only failures reach Redis: a valid key never waits for it.
 *
 * The blocks this process learned are kept in memory with their end, so a blocked address is refused
 * without a round trip. The price: another instance learns of a block only at the first failure
 * it counts itself; until then a valid key from that address still works there (a guesser's next
 * wrong key on it is refused and teaches it the block).
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly logger = new Logger('AuthFailureLimiter');
  private readonly storage: ThrottlerStorage;
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly keyPrefix: string;
  /** Address -> end of its block (epoch ms), as the storage reported it. */
  private readonly blocks = new Map<string, number>();
  private lastRedisWarning = 0;

  constructor(@Inject(REDIS) redis: Redis, @Inject(FLOW_CONFIG) config: FlowConfig) {
    // The process's own connection: its 2 s command timeout bounds a failure's wait while Redis is down.
    this.storage = new ThrottlerStorageRedisService(redis);
    this.windowMs = config.authFailures.windowSeconds * 1000;
    this.limit = config.authFailures.limit;
    // The storage wraps keys as `{<key>:auth-failures}:hits`; the deployment prefix inside keeps
    // deployments (and parallel test runs) sharing one Redis apart. Every key expires with the window.
    this.keyPrefix = `${config.queuePrefix}:auth-failures:`;
  }

  /** Whether this process knows of any block at all (cheap; lets the success path skip reading the address). */
  get anyBlocked(): boolean {
    return this.blocks.size > 0;
  }

  /** Seconds left of a block this process knows of, from memory only; undefined when not blocked. */
  blockedFor(address: string, now = Date.now()): number | undefined {
    const until = this.blocks.get(address);
    if (until === undefined) return undefined;
    if (until <= now) {
      this.blocks.delete(address);
      return undefined;
    }
    return Math.ceil((until - now) / 1000);
  }

  /**
   * Counts one failed authentication of `address` in Redis. Past the limit the address is blocked
   * for the window. Redis unreachable: not counted (the caller still refuses the key), and said in
   * the log at most once a minute.
   */
  async recordFailure(address: string, now = Date.now()): Promise<FailureVerdict> {
    let record;
    try {
      record = await this.storage.increment(this.keyPrefix + address, this.windowMs, this.limit, this.windowMs, THROTTLER_NAME);
    } catch (error) {
      if (now - this.lastRedisWarning >= REDIS_WARNING_INTERVAL_MS) {
        this.lastRedisWarning = now;
        this.logger.warn(`failed authentication could not be counted (Redis: ${(error as Error).name}); keys are still checked, failures are not throttled until Redis answers`);
      }
      return { blocked: false, retryAfterSeconds: 0 };
    }
    if (!record.isBlocked) return { blocked: false, retryAfterSeconds: 0 };
    const retryAfterSeconds = Math.max(1, record.timeToBlockExpire);
    if (!this.blocks.has(address)) this.logger.warn(`too many failed authentications from ${address}: keys from it are refused for ${retryAfterSeconds} s`);
    this.remember(address, now + retryAfterSeconds * 1000, now);
    return { blocked: true, retryAfterSeconds };
  }

  private remember(address: string, until: number, now: number): void {
    this.blocks.delete(address);
    if (this.blocks.size >= MAX_REMEMBERED_BLOCKS) {
      for (const [known, end] of this.blocks) if (end <= now) this.blocks.delete(known);
      // Still full: forget the oldest block (Redis still holds it; a failure from there re-learns it).
      if (this.blocks.size >= MAX_REMEMBERED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as string);
    }
    this.blocks.set(address, until);
  }
}

/**
 * The address failures are counted against, normalised by @nestjs/throttler: IPv4-mapped IPv6
 * unwrapped, other IPv6 by its /64 (one host usually holds a whole /64 and could change address per guess).
 */
export function clientAddressKey(ip: string | undefined): string {
  return ip ? normalizeIp(ip) : 'unknown';
}
