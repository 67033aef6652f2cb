import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import type { Redis } from 'ioredis';
import { createRedisConnection } from './redis-connection';

export const REDIS = Symbol('REDIS');

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
        { provide: REDIS, inject: [FLOW_CONFIG], useFactory: (config: FlowConfig) => createRedisConnection(config.redisUrl) },
        { provide: RedisCloser, inject: [REDIS], useFactory: (redis: Redis) => new RedisCloser(redis) },
      ],
      exports: [REDIS],
    };
  }
}
