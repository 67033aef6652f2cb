import { type DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@flow-oauth/app-runtime';
import { FlowConfigModule, type FlowConfig } from '@flow-oauth/config';
import { MessagingModule } from '@flow-oauth/messaging';
import { PersistenceModule } from '@flow-oauth/persistence';
import { BullRootModule, RedisModule } from '@flow-oauth/redis';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { TokenRefreshProcessor } from './token-refresh.processor';

/** token-refresher: background refresh jobs with retries, and the safety sweep. */
@Module({})
export class TokenRefresherModule {
  static forRoot(config: FlowConfig): DynamicModule {
    return {
      module: TokenRefresherModule,
      imports: [
        FlowConfigModule.forRoot(config),
        PersistenceModule.forRoot({ runMigrations: false }),
        RedisModule.forRoot(),
        BullRootModule,
        MessagingModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        TokenRefreshModule,
        HealthModule,
      ],
      providers: [TokenRefreshProcessor],
    };
  }
}
