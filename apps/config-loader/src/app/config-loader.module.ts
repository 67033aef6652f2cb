import { type DynamicModule, Module } from '@nestjs/common';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { ConnectorMetricsModule } from '@flow-oauth/observability';
import { ProviderConfigModule } from '@flow-oauth/provider-config';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { ConnectorTypesController } from './connector-types.controller';
import { EncryptionKeyController } from './encryption-key.controller';
import { OAuthConfigurationsController } from './oauth-configurations.controller';
import { ThingworxServicesController } from './thingworx-services.controller';
import { UsersController } from './users.controller';

/** config-loader: the load API, provider reads and deletes, token purge, user keys, key rotation. Runs the migrations. */
@Module({})
export class ConfigLoaderModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: ConfigLoaderModule,
      imports: [
        FlowRuntimeModule.forRoot(config, { app: FlowApp.ConfigLoader, runMigrations: true, workQueues: false }),
        ApiAuthModule,
        ProviderConfigModule,
        // Connectors by status, once per deployment: config-loader, not every scaled-out instance.
        ConnectorMetricsModule,
      ],
      controllers: [OAuthConfigurationsController, ConnectorTypesController, UsersController, ThingworxServicesController, EncryptionKeyController],
    };
  }
}
