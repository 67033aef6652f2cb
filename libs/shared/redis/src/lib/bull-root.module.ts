import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { bullConnectionOptions } from './redis-connection';

/** BullMQ's root connection for work queues: REDIS_URL, FLOW_QUEUE_PREFIX, maxRetriesPerRequest null. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [FLOW_CONFIG],
      useFactory: (config: FlowConfig) => ({ connection: bullConnectionOptions(config.redisUrl), prefix: config.queuePrefix }),
    }),
  ],
  exports: [BullModule],
})
export class BullRootModule {}
