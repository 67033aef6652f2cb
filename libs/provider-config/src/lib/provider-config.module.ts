import { Module } from '@nestjs/common';
import { ActivityModule } from '@flow-oauth/activity';
import { ProviderConfigurationService } from './provider-configuration.service';

/** The provider-settings use cases (config-loader): load, redacted read, delete, token purge. Needs PersistenceModule, MessagingModule and BullModule.forRoot (webhook jobs) in the app. */
@Module({
  imports: [ActivityModule],
  providers: [ProviderConfigurationService],
  exports: [ProviderConfigurationService, ActivityModule],
})
export class ProviderConfigModule {}
