import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { AdminPageModule } from '@flow-oauth/admin-page';
import { mountApiDocs } from '@flow-oauth/api-docs';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { ConnectorsModule } from '@flow-oauth/connectors';
import { ConnectorsPageModule } from '@flow-oauth/connectors-page';
import { BullMqServer } from '@flow-oauth/messaging';
import { RefreshMetricsModule } from '@flow-oauth/observability';
import { FlowApp } from '@flow-oauth/queue-contracts';
import { mountQueueDashboard } from '@flow-oauth/queue-dashboard';
import { publicBasePath } from '@flow-oauth/web-pages';
import cookieParser from 'cookie-parser';
import { AdminPageController } from './admin-page.controller';
import { AssetsController } from './assets.controller';
import { ConnectorsPageController } from './connectors-page.controller';
import { ConnectorsController } from './connectors.controller';
import { FlowEventsController } from './flow-events.controller';
import { ProvidersController } from './providers.controller';
import { ReturnController } from './return.controller';
import { SignInPagesController } from './sign-in-pages.controller';
import { SignInStartController } from './sign-in-start.controller';

/** flow-oauth-server: OAuth flows, connectors, the token API, the sign-in pages, and the connectors and admin pages. */
@Module({})
export class FlowOAuthServerModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: FlowOAuthServerModule,
      imports: [
        FlowRuntimeModule.forRoot(config, { app: FlowApp.FlowOAuthServer, runMigrations: false, workQueues: true }),
        ApiAuthModule,
        ConnectorsModule,
        ConnectorsPageModule,
        AdminPageModule,
        // The token API's on-demand refreshes.
        RefreshMetricsModule,
      ],
      controllers: [
        ProvidersController,
        ConnectorsController,
        SignInStartController,
        ReturnController,
        AssetsController,
        FlowEventsController,
        SignInPagesController,
        ConnectorsPageController,
        AdminPageController,
      ],
    };
  }
}

/** Parses cookies where the sign-in pages read them, mounts the queue dashboard (/admin/queues), and connects the BullMQ event transport so every instance hears providers.changed. */
export async function configureFlowOAuthServer(app: INestApplication, config: FlowConfig): Promise<void> {
  // Only the sign-in pages read cookies; the token API is not slowed by parsing them.
  app.use('/Thingworx/Oauths/oauth', cookieParser());
  mountQueueDashboard(app, config);
  mountApiDocs(app, {
    title: 'Flow OAuth server API',
    description:
      'OAuth connectors: start a sign-in, the return page, connectors and their tokens, validate, delete; the providers a user may connect to; the pages. A user key, the service key or the admin key in `appKey` or `Authorization: Bearer`.',
    version: '1',
    basePath: publicBasePath(config.publicUrl),
    extraRoutes: [
      { method: 'get', path: '/admin/queues', summary: 'The queue dashboard (bull-board)', produces: 'text/html', access: 'admin-session' },
      { method: 'get', path: '/api/docs', summary: 'This API\'s swagger-ui page', produces: 'text/html', access: 'public' },
      { method: 'get', path: '/api/docs-json', summary: 'This OpenAPI document', produces: 'application/json', access: 'public' },
    ],
  });
  app.connectMicroservice({ strategy: new BullMqServer({ connection: { url: config.redisUrl }, prefix: config.queuePrefix, group: FlowApp.FlowOAuthServer }) });
  await app.startAllMicroservices();
}
