import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { HealthModule } from '@flow-oauth/app-runtime';
import { FlowConfigModule, type FlowConfig } from '@flow-oauth/config';
import { ConnectorsModule } from '@flow-oauth/connectors';
import { BullMqServer, MessagingModule } from '@flow-oauth/messaging';
import { PersistenceModule } from '@flow-oauth/persistence';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { BullRootModule, RedisModule } from '@flow-oauth/redis';
import { ConnectorsController } from './connectors.controller';
import { FlowEventsController } from './flow-events.controller';
import { ProvidersController } from './providers.controller';
import { ReturnController } from './return.controller';

/** flow-oauth-server: OAuth flows, connectors, the token API and the return page. */
@Module({})
export class FlowOAuthServerModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: FlowOAuthServerModule,
      imports: [
        FlowConfigModule.forRoot(config),
        PersistenceModule.forRoot({ runMigrations: false }),
        RedisModule.forRoot(),
        BullRootModule,
        MessagingModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        ApiAuthModule,
        ConnectorsModule,
        HealthModule,
      ],
      controllers: [ProvidersController, ConnectorsController, ReturnController, FlowEventsController],
    };
  }
}

/** Connects the BullMQ event transport so every instance hears providers.changed. */
export async function configureFlowOAuthServer(app: INestApplication, config: FlowConfig): Promise<void> {
  app.connectMicroservice({ strategy: new BullMqServer({ connection: { url: config.redisUrl }, prefix: config.queuePrefix, group: FlowApp.FlowOAuthServer }) });
  await app.startAllMicroservices();
}
