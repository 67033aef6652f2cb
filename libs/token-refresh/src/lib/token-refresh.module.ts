import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { ActivityModule } from '@flow-oauth/activity';
import { OAuthClientModule } from '@flow-oauth/oauth-client';
import { ProviderReaderModule } from '@flow-oauth/provider-reader';
import { QueueName } from '@flow-oauth/queue-contracts';
import { ConnectorLock } from './connector-lock';
import { ConnectorTokenStore } from './connector-token-store';
import { PendingTokenStore, RedisPendingTokenStore } from './pending-token-store';
import { RedisRefreshHistory, RefreshHistory } from './refresh-history';
import { RefreshProducer } from './refresh.producer';
import { RefreshProviders } from './refresh-providers';
import { RefreshSweep } from './refresh-sweep';
import { RedisSweepTurn, SweepTimer, SweepTurn } from './sweep-timer';
import { TokenRefreshService } from './token-refresh.service';

/**
 * The refresh function, its lock, token storage, the refresh-job producer, the hourly outcome history and the sweep (whose
 * timer only token-refresher starts). Needs BullModule.forRoot in the app.
 */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.TokenRefresh }), ProviderReaderModule, OAuthClientModule, ActivityModule],
  providers: [
    ConnectorLock,
    ConnectorTokenStore,
    { provide: PendingTokenStore, useClass: RedisPendingTokenStore },
    RefreshProducer,
    RefreshProviders,
    { provide: RefreshHistory, useClass: RedisRefreshHistory },
    RefreshSweep,
    { provide: SweepTurn, useClass: RedisSweepTurn },
    SweepTimer,
    TokenRefreshService,
  ],
  exports: [ConnectorLock, ConnectorTokenStore, PendingTokenStore, RefreshProducer, RefreshProviders, RefreshHistory, RefreshSweep, SweepTimer, TokenRefreshService, ActivityModule, BullModule],
})
export class TokenRefreshModule {}
