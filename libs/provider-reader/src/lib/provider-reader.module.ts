import { Module } from '@nestjs/common';
import { ActivityModule } from '@flow-oauth/activity';
import { ProviderCredentialsState } from './provider-credentials-state';
import { ProviderReader } from './provider-reader';

/**
 * Loaded providers as their users read them (the sign-in flows, refresh, validate, delete, health checks), and the
 * one write those users make: marking a provider's credentials rejected. One module, so every lib of a process
 * that imports it shares one ProviderReader. Needs PersistenceModule (FlowRuntimeModule: the DataSource and SecretBox) in the app.
 */
@Module({
  imports: [ActivityModule],
  providers: [ProviderReader, ProviderCredentialsState],
  exports: [ProviderReader, ProviderCredentialsState],
})
export class ProviderReaderModule {}
