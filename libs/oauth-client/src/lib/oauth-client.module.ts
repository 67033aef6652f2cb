import { Module } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { OAuthClient } from './oauth-client';

/** The protocol client for Nest apps, built from the configuration's return URL and FLOW_ENV. Needs FlowConfigModule (FlowRuntimeModule) in the app. */
@Module({
  providers: [{ provide: OAuthClient, inject: [FLOW_CONFIG], useFactory: (config: FlowConfig) => new OAuthClient({ returnUrl: config.returnUrl, env: config.flowEnv }) }],
  exports: [OAuthClient],
})
export class OAuthClientModule {}
