import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import type { Redis } from 'ioredis';
import { createRedisConnection } from './redis-connection';

export const REDIS = Symbol('REDIS');

/**
 * The shared client serves requests (OAuth state, locks, health), not BullMQ: while Redis is down a
 * command fails within two seconds (and the request gets 503) instead of waiting for Redis to return.
 */
const REQUEST_PATH_OPTIONS = { maxRetriesPerRequest: 1, commandTimeout: 2000, enableAutoPipelining: true };

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One shared ioredis connection per process (`@Inject(REDIS)`), closed on shutdown. */
@Global()
@Module({})
export class RedisModule {
  /** Connects to REDIS_URL from the config. */
  static forRoot(): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS, inject: [FLOW_CONFIG], useFactory: (config: FlowConfig) => createRedisConnection(config.redisUrl, REQUEST_PATH_OPTIONS) },
        { provide: RedisCloser, inject: [REDIS], useFactory: (redis: Redis) => new RedisCloser(redis) },
      ],
      exports: [REDIS],
    };
  }
}
