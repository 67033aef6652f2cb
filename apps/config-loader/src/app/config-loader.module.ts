import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { mountApiDocs } from '@flow-oauth/api-docs';
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

/** Serves config-loader's OpenAPI document and its swagger-ui page (/api/docs, /api/docs-json). */
export function configureConfigLoader(app: INestApplication): void {
  mountApiDocs(app, {
    title: 'Flow OAuth config-loader API',
    description: 'Loading OAuth provider settings (validate, plan, apply), providers, token purges, user keys, the connector-type catalog and setup guides, the audit trail and webhook deliveries. Admin key in `appKey` or `Authorization: Bearer`.',
    version: '1',
    // config-loader listens on loopback and is not behind FLOW_PUBLIC_URL: its pages are at the root.
    basePath: '',
    extraRoutes: [
      { method: 'get', path: '/api/docs', summary: 'This API\'s swagger-ui page', produces: 'text/html', access: 'public' },
      { method: 'get', path: '/api/docs-json', summary: 'This OpenAPI document', produces: 'application/json', access: 'public' },
    ],
  });
}
