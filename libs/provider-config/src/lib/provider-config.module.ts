import { Module } from '@nestjs/common';
import { ActivityModule } from '@flow-oauth/activity';
import { ProviderConfigurationService } from './provider-configuration.service';
import { ProviderCredentialsState } from './provider-credentials-state';
import { ProviderReader } from './provider-reader';

/** The provider-settings use cases; needs PersistenceModule, MessagingModule and BullModule.forRoot (webhook jobs) in the app. */
@Module({
  imports: [ActivityModule],
  providers: [ProviderConfigurationService, ProviderReader, ProviderCredentialsState],
  exports: [ProviderConfigurationService, ProviderReader, ProviderCredentialsState, ActivityModule],
})
export class ProviderConfigModule {}
