import { Module } from '@nestjs/common';
import { ProviderConfigurationService } from './provider-configuration.service';
import { ProviderReader } from './provider-reader';

/** The provider-settings use cases; needs PersistenceModule and MessagingModule in the app. */
@Module({
  providers: [ProviderConfigurationService, ProviderReader],
  exports: [ProviderConfigurationService, ProviderReader],
})
export class ProviderConfigModule {}
