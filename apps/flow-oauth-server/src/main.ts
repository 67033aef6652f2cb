import 'reflect-metadata';
import { runHttpApp } from '@flow-oauth/app-runtime';
import { configureFlowOAuthServer, FlowOAuthServerModule } from './app/flow-oauth-server.module';

void runHttpApp({
  name: 'flow-oauth-server',
  module: FlowOAuthServerModule.forRoot,
  port: (config) => config.ports.flowOauth,
  configure: configureFlowOAuthServer,
});
