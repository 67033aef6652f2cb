export * from './lib/redis-connection';
export * from './lib/redis.module';
export * from './lib/wait-for-redis';
export * from './lib/bull-root.module';
