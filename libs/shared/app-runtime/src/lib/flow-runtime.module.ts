import { type DynamicModule, Module } from '@nestjs/common';
import { FlowConfigModule, type FlowConfig } from '@flow-oauth/config';
import { MessagingModule } from '@flow-oauth/messaging';
import { ObservabilityModule } from '@flow-oauth/observability';
import { PersistenceModule } from '@flow-oauth/persistence';
import type { FlowAppName } from '@flow-oauth/queue-contracts';
import { BullRootModule, RedisModule } from '@flow-oauth/redis';
import { HealthModule } from './health.module';

export interface FlowRuntimeOptions {
  /** pm2 name of the process (log lines' `app` field, metrics' `app` label). */
  app: FlowAppName;
  /** True in exactly one process (config-loader); the others wait for the schema. */
  runMigrations: boolean;
  /** The process produces or consumes BullMQ work queues (webhook deliveries). */
  workQueues: boolean;
}

/** What every process stands on: validated config, JSON logs and /metrics, database, Redis, the event client, /health. */
@Module({})
export class FlowRuntimeModule {
  static forRoot(config: FlowConfig, options: FlowRuntimeOptions): DynamicModule {
    return {
      module: FlowRuntimeModule,
      imports: [
        FlowConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ app: options.app, instance: config.instance, log: config.log }),
        PersistenceModule.forRoot({ runMigrations: options.runMigrations }),
        RedisModule.forRoot(),
        ...(options.workQueues ? [BullRootModule] : []),
        MessagingModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        HealthModule,
      ],
      exports: options.workQueues ? [BullRootModule] : [],
    };
  }
}
