import { Module } from '@nestjs/common';
import { ActivityModule } from '@flow-oauth/activity';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { OAuthClientModule } from '@flow-oauth/oauth-client';
import { ProviderReaderModule } from '@flow-oauth/provider-reader';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { AuthorizationStateStore } from './authorization-state.store';
import { ConnectorAuthorizationService } from './connector-authorization.service';
import { ConnectorsService } from './connectors.service';
import { ProviderRegistry } from './provider-registry';
import { SignInBindingStore } from './sign-in-binding.store';
import { SignInCookies } from './sign-in-cookies';
import { SignInStartService } from './sign-in-start.service';

/** Connector use cases for flow-oauth-server. */
@Module({
  // ApiAuthModule for BrowserSessions: the start link reads the browser's Flow session.
  imports: [TokenRefreshModule, ProviderReaderModule, OAuthClientModule, ActivityModule, ApiAuthModule],
  providers: [ProviderRegistry, AuthorizationStateStore, SignInBindingStore, SignInCookies, ConnectorAuthorizationService, SignInStartService, ConnectorsService],
  exports: [ProviderRegistry, ConnectorAuthorizationService, SignInStartService, ConnectorsService],
})
export class ConnectorsModule {}
