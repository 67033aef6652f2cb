import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';
import { RefreshStorageError } from './refresh-errors';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * How long a connector lock lives without its holder extending it. Short, so a killed holder's
 * lock frees within seconds; the live holder extends it every third of that (a watchdog), so a
 * slow provider never lets a second refresh in.
 */
export const CONNECTOR_LOCK_TTL_MS = 10_000;
const DEFAULT_WAIT_MS = 15_000;

/** Thrown when the lock could not be had in time (another refresh of the same connector holds it). */
export class LockTimeoutError extends Error {
  constructor(connectorId: string) {
    super(`another refresh of connector ${connectorId} is still running`);
    this.name = 'LockTimeoutError';
  }
}

export interface LockOptions {
  /** How long to wait for the lock; 0 tries once and throws LockTimeoutError at once when it is held. */
  waitMs?: number;
  /** Lifetime of the lock between extensions (tests shorten it). */
  ttlMs?: number;
}

/**
 * One refresh per connector at a time across every process: a Redis lock (SET NX PX with an owner
 * token, extended and released only by its owner) shared by the background worker and the
 * on-demand token API.
 */
@Injectable()
export class ConnectorLock {
  private readonly logger = new Logger('ConnectorLock');

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** The Redis key of a connector's lock. */
  key(connectorId: string): string {
    return `${this.config.queuePrefix}:lock:connector:${connectorId}`;
  }

  /** Runs `fn` holding the connector's lock, extending it while `fn` runs; waits up to `waitMs` for it. */
  async withLock<T>(connectorId: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const key = this.key(connectorId);
    const owner = randomBytes(16).toString('hex');
    const ttl = options.ttlMs ?? CONNECTOR_LOCK_TTL_MS;
    const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    const deadline = Date.now() + waitMs;
    let pause = 10;
    while ((await this.take(key, owner, ttl, connectorId)) !== 'OK') {
      if (waitMs <= 0 || Date.now() > deadline) throw new LockTimeoutError(connectorId);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 200);
    }
    const watchdog = setInterval(() => void this.extend(key, owner, ttl, connectorId), Math.max(50, Math.floor(ttl / 3)));
    try {
      return await fn();
    } finally {
      clearInterval(watchdog);
      // The lock expires by itself; a failed release must not replace the work's own outcome. Not
      // awaited: the work is done and its writes are acknowledged, so what comes next (the job's
      // completion) need not wait a round trip for it; commands on one connection run in order, so
      // this caller's next command on it (a new lock) still comes after the release.
      void this.redis.eval(RELEASE, 1, key, owner).catch((error: Error) => this.logger.warn(`lock of ${connectorId} not released: ${error.message}`));
    }
  }

  /** SET NX; Redis not answering is a storage failure (retried soon, nothing asked of the provider), not a busy lock. */
  private async take(key: string, owner: string, ttl: number, connectorId: string): Promise<string | null> {
    try {
      return await this.redis.set(key, owner, 'PX', ttl, 'NX');
    } catch (error) {
      throw new RefreshStorageError(connectorId, 'before', error);
    }
  }

  private async extend(key: string, owner: string, ttl: number, connectorId: string): Promise<void> {
    try {
      if (Number(await this.redis.eval(EXTEND, 1, key, owner, ttl)) !== 1) {
        // Only if this process stalled (or Redis was unreachable) longer than the TTL: the token
        // write stays guarded by the token version, so no token is overwritten, but say it.
        this.logger.error(`lock of connector ${connectorId} expired while its refresh was running (the process stalled for over ${ttl} ms)`);
      }
    } catch (error) {
      this.logger.warn(`lock of ${connectorId} not extended: ${(error as Error).message}`);
    }
  }
}
