import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { BullMqServer } from '@flow-oauth/messaging';
import { QueueMetricsModule, RefreshMetricsModule } from '@flow-oauth/observability';
import { FlowApp, QueueName } from '@flow-oauth/queue-contracts';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { ProviderEventsController } from './provider-events.controller';
import { TokenRefreshProcessor } from './token-refresh.processor';

/** token-refresher: background refresh jobs with retries, and the safety sweep. */
@Module({})
export class TokenRefresherModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: TokenRefresherModule,
      imports: [
        FlowRuntimeModule.forRoot(config, { app: FlowApp.TokenRefresher, runMigrations: false, workQueues: true }),
        TokenRefreshModule,
        RefreshMetricsModule,
        QueueMetricsModule.forQueues([QueueName.TokenRefresh]),
      ],
      controllers: [ProviderEventsController],
      providers: [TokenRefreshProcessor],
    };
  }
}

/** Connects the BullMQ event transport: token-refresher hears provider.credentials_restored. */
export async function configureTokenRefresher(app: INestApplication, config: FlowConfig): Promise<void> {
  app.connectMicroservice({ strategy: new BullMqServer({ connection: { url: config.redisUrl }, prefix: config.queuePrefix, group: FlowApp.TokenRefresher }) });
  await app.startAllMicroservices();
}
