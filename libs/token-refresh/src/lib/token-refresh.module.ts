import { Module } from '@nestjs/common';
import { ActivityModule } from '@flow-oauth/activity';
import { OAuthClientModule } from '@flow-oauth/oauth-client';
import { ProviderReaderModule } from '@flow-oauth/provider-reader';
import { ConnectorLock } from './connector-lock';
import { ConnectorTokenStore } from './connector-token-store';
import { DueRefreshLoop } from './due-refresh-loop';
import { PendingTokenStore, RedisPendingTokenStore } from './pending-token-store';
import { RedisRefreshHistory, RefreshHistory } from './refresh-history';
import { RefreshProviders } from './refresh-providers';
import { TokenRefreshService } from './token-refresh.service';

/**
 * The refresh function, its lock, token storage, the hourly outcome history and the due-refresh
 * loop (which only token-refresher starts).
 */
@Module({
  imports: [ProviderReaderModule, OAuthClientModule, ActivityModule],
  providers: [
    ConnectorLock,
    ConnectorTokenStore,
    DueRefreshLoop,
    { provide: PendingTokenStore, useClass: RedisPendingTokenStore },
    RefreshProviders,
    { provide: RefreshHistory, useClass: RedisRefreshHistory },
    TokenRefreshService,
  ],
  exports: [ConnectorLock, ConnectorTokenStore, DueRefreshLoop, PendingTokenStore, RefreshProviders, RefreshHistory, TokenRefreshService, ActivityModule],
})
export class TokenRefreshModule {}
