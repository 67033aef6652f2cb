import { Module } from '@nestjs/common';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { MulterModule } from '@nestjs/platform-express';
import { AdminOverview } from './admin-overview';
import { AdminPage } from './admin-page.service';
import { ConfigLoaderClient } from './config-loader.client';
import { ConfigurationDrafts, RedisConfigurationDrafts } from './configuration-drafts';

/**
 * The admin page of flow-oauth-server. Exports MulterModule configured for the load form (one file,
 * in memory, at most FLOW_MAX_CONFIG_BYTES, as config-loader accepts), for the controller's FileInterceptor.
 */
@Module({
  imports: [
    ApiAuthModule,
    TokenRefreshModule,
    MulterModule.registerAsync({
      inject: [FLOW_CONFIG],
      useFactory: (config: FlowConfig) => ({ limits: { fileSize: config.maxConfigBytes, fieldSize: config.maxConfigBytes, files: 1, fields: 4, parts: 6 } }),
    }),
  ],
  providers: [AdminPage, AdminOverview, ConfigLoaderClient, { provide: ConfigurationDrafts, useClass: RedisConfigurationDrafts }],
  exports: [AdminPage, MulterModule],
})
export class AdminPageModule {}
