import { type DynamicModule, Module } from '@nestjs/common';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { ConnectorMetricsModule } from '@flow-oauth/observability';
import { ProviderConfigModule } from '@flow-oauth/provider-config';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { AdminPageRedirectController } from './admin-page-redirect.controller';
import { AuditController } from './audit.controller';
import { ConnectorTypesController } from './connector-types.controller';
import { EncryptionKeyController } from './encryption-key.controller';
import { OAuthConfigurationsController } from './oauth-configurations.controller';
import { ThingworxServicesController } from './thingworx-services.controller';
import { UsersController } from './users.controller';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';

/** config-loader: the load API, provider reads and deletes, token purge, user keys, key rotation, the audit trail and webhook deliveries. Runs the migrations. */
@Module({})
export class ConfigLoaderModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: ConfigLoaderModule,
      imports: [
        // Work queues: a load, purge or key change queues the webhook deliveries it recorded.
        FlowRuntimeModule.forRoot(config, { app: FlowApp.ConfigLoader, runMigrations: true, workQueues: true }),
        ApiAuthModule,
        ProviderConfigModule,
        // Connectors by status, once per deployment: config-loader, not every scaled-out instance.
        ConnectorMetricsModule,
      ],
      controllers: [
        OAuthConfigurationsController,
        ConnectorTypesController,
        UsersController,
        ThingworxServicesController,
        EncryptionKeyController,
        AuditController,
        WebhookDeliveriesController,
        AdminPageRedirectController,
      ],
    };
  }
}
