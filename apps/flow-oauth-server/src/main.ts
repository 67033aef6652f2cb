import 'reflect-metadata';
import { runHttpApp } from '@flow-oauth/app-runtime';
import { configureFlowOAuthServer, FlowOAuthServerModule } from './app/flow-oauth-server.module';

void runHttpApp({
  name: 'flow-oauth-server',
  module: FlowOAuthServerModule.forRoot,
  port: (config) => config.ports.flowOauth,
  // FLOW_OAUTH_PORT is the public one: it keeps answering when pm2 scale down removes instance 0.
  keepPublicPort: true,
  configure: configureFlowOAuthServer,
});
