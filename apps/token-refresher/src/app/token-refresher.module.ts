import { type DynamicModule, Module } from '@nestjs/common';
import { FlowRuntimeModule } from '@flow-oauth/app-runtime';
import type { FlowConfig } from '@flow-oauth/config';
import { QueueMetricsModule, RefreshMetricsModule } from '@flow-oauth/observability';
import { FlowApp, QueueName } from '@flow-oauth/queue-contracts';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
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
      providers: [TokenRefreshProcessor],
    };
  }
}
