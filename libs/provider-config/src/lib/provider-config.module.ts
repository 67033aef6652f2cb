import { Module } from '@nestjs/common';
import { ProviderConfigurationService } from './provider-configuration.service';
import { ProviderCredentialsState } from './provider-credentials-state';
import { ProviderReader } from './provider-reader';

/** The provider-settings use cases; needs PersistenceModule and MessagingModule in the app. */
@Module({
  providers: [ProviderConfigurationService, ProviderReader, ProviderCredentialsState],
  exports: [ProviderConfigurationService, ProviderReader, ProviderCredentialsState],
})
export class ProviderConfigModule {}
