import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

/**
 * How many validation calls a provider gets per minute, across every token-refresher
 * (FLOW_HEALTH_CHECKS_PER_MINUTE), so a day's checks never hit one provider in a burst. Redis today
 * (a counter per provider and minute); a PostgreSQL-only deployment will bring its own implementation.
 */
export abstract class HealthCheckRateLimit {
  /** True when one more check of this provider fits in the current minute (and counts it). */
  abstract take(providerId: string, now?: number): Promise<boolean>;
}

/** HealthCheckRateLimit on Redis: INCR of a per-minute key that expires after two minutes. */
@Injectable()
export class RedisHealthCheckRateLimit extends HealthCheckRateLimit {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  async take(providerId: string, now = Date.now()): Promise<boolean> {
    const key = `${this.config.queuePrefix}:health-checks:${providerId}:${Math.floor(now / 60_000)}`;
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, 120_000).exec()) as [[Error | null, number], unknown];
    return Number(count) <= this.config.health.checksPerMinute;
  }
}
