import { type DynamicModule, Module } from '@nestjs/common';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { HealthModule } from '@flow-oauth/app-runtime';
import { FlowConfigModule, type FlowConfig } from '@flow-oauth/config';
import { MessagingModule } from '@flow-oauth/messaging';
import { PersistenceModule } from '@flow-oauth/persistence';
import { ProviderConfigModule } from '@flow-oauth/provider-config';
import { RedisModule } from '@flow-oauth/redis';
import { ConnectorTypesController } from './connector-types.controller';
import { OAuthConfigurationsController } from './oauth-configurations.controller';
import { ThingworxServicesController } from './thingworx-services.controller';
import { UsersController } from './users.controller';

/** config-loader: the load API, provider reads and deletes, token purge, user keys. Runs the migrations. */
@Module({})
export class ConfigLoaderModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: ConfigLoaderModule,
      imports: [
        FlowConfigModule.forRoot(config),
        PersistenceModule.forRoot({ runMigrations: true }),
        RedisModule.forRoot(),
        MessagingModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        ApiAuthModule,
        ProviderConfigModule,
        HealthModule,
      ],
      controllers: [OAuthConfigurationsController, ConnectorTypesController, UsersController, ThingworxServicesController],
    };
  }
}
