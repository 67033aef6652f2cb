import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { ConnectorHealthModule } from '@flow-oauth/connector-health';
import { BullMqServer } from '@flow-oauth/messaging';
import { QueueMetricsModule, RefreshMetricsModule } from '@flow-oauth/observability';
import { FlowApp, QueueName } from '@flow-oauth/queue-contracts';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { BackgroundRefresh } from './background-refresh';
import { BackgroundScans } from './background-scans';
import { ProviderEventsController } from './provider-events.controller';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';

/** token-refresher: background refresh of due connectors with retries, health checks and reauth warnings, webhook deliveries. */
@Module({})
export class TokenRefresherModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: TokenRefresherModule,
      imports: [
        FlowRuntimeModule.forRoot(config, { app: FlowApp.TokenRefresher, runMigrations: false, workQueues: true }),
        TokenRefreshModule,
        ConnectorHealthModule,
        RefreshMetricsModule,
        QueueMetricsModule.forQueues([QueueName.WebhookDelivery]),
      ],
      controllers: [ProviderEventsController],
      providers: [BackgroundRefresh, WebhookDeliveryProcessor, BackgroundScans],
    };
  }
}

/** Connects the BullMQ event transport: token-refresher hears provider.credentials_restored. */
export async function configureTokenRefresher(app: INestApplication, config: FlowConfig): Promise<void> {
  app.connectMicroservice({ strategy: new BullMqServer({ connection: { url: config.redisUrl }, prefix: config.queuePrefix, group: FlowApp.TokenRefresher }) });
  await app.startAllMicroservices();
}
