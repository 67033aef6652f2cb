import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

/**
 * How long a pending token set is kept: longer than every retry of its refresh job (about an hour)
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
