import { Module } from '@nestjs/common';
import { ActivityModule } from '@flow-oauth/activity';
import { OAuthClientModule } from '@flow-oauth/oauth-client';
import { ProviderReaderModule } from '@flow-oauth/provider-reader';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { ConnectorHealthCheck } from './connector-health-check';
import { HealthCheckRateLimit, RedisHealthCheckRateLimit } from './health-check-rate-limit';
import { HealthScanner } from './health-scanner';
import { ReauthWarnings } from './reauth-warnings';

/** Health checks, reauth warnings and their scanner (started by token-refresher). */
@Module({
  imports: [TokenRefreshModule, ProviderReaderModule, OAuthClientModule, ActivityModule],
  providers: [ConnectorHealthCheck, ReauthWarnings, HealthScanner, { provide: HealthCheckRateLimit, useClass: RedisHealthCheckRateLimit }],
  exports: [ConnectorHealthCheck, ReauthWarnings, HealthScanner],
})
export class ConnectorHealthModule {}
