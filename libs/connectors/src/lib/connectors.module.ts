import { Module } from '@nestjs/common';
import { TokenRefreshModule } from '@flow-oauth/token-refresh';
import { AuthorizationStateStore } from './authorization-state.store';
import { ConnectorAuthorizationService } from './connector-authorization.service';
import { ConnectorsService } from './connectors.service';
import { ProviderRegistry } from './provider-registry';

/** Connector use cases for flow-oauth-server. */
@Module({
  imports: [TokenRefreshModule],
  providers: [ProviderRegistry, AuthorizationStateStore, ConnectorAuthorizationService, ConnectorsService],
  exports: [ProviderRegistry, ConnectorAuthorizationService, ConnectorsService],
})
export class ConnectorsModule {}
