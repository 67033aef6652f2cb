import { Module } from '@nestjs/common';
import { HEALTH_CHECKS, type HealthCheck, HealthController } from '@flow-oauth/http-common';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

/** `GET /health` checking the database and Redis. */
@Module({
  controllers: [HealthController],
  providers: [
    {
      provide: HEALTH_CHECKS,
      inject: [DataSource, REDIS],
      useFactory: (dataSource: DataSource, redis: Redis): HealthCheck[] => [
        { name: 'database', check: async () => void (await dataSource.query('SELECT 1')) },
        { name: 'redis', check: async () => void (await redis.ping()) },
      ],
    },
  ],
})
export class HealthModule {}
