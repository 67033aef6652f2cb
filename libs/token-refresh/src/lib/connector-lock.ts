import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Thrown when the lock could not be had in time (another refresh of the same connector is slow). */
export class LockTimeoutError extends Error {
  constructor(connectorId: string) {
    super(`another refresh of connector ${connectorId} is still running`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * One refresh per connector at a time across every process: a Redis lock (SET NX PX with an owner
 * token, released only by its owner) shared by the background worker and the on-demand token API.
 */
@Injectable()
export class ConnectorLock {
  private readonly logger = new Logger('ConnectorLock');

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** Runs `fn` holding the connector's lock; waits up to `waitMs` for it. */
  async withLock<T>(connectorId: string, fn: () => Promise<T>, options: { ttlMs?: number; waitMs?: number } = {}): Promise<T> {
    const key = `${this.config.queuePrefix}:lock:connector:${connectorId}`;
    const owner = randomBytes(16).toString('hex');
    const ttl = options.ttlMs ?? 30_000;
    const deadline = Date.now() + (options.waitMs ?? 15_000);
    let pause = 10;
    while ((await this.redis.set(key, owner, 'PX', ttl, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new LockTimeoutError(connectorId);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 200);
    }
    try {
      return await fn();
    } finally {
      // The lock expires by itself; a failed release must not replace the work's own outcome.
      await this.redis.eval(RELEASE, 1, key, owner).catch((error: Error) => this.logger.warn(`lock of ${connectorId} not released: ${error.message}`));
    }
  }
}
