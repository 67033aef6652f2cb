import 'reflect-metadata';
import { runHttpApp } from '@flow-oauth/app-runtime';
import { ConfigLoaderModule, configureConfigLoader } from './app/config-loader.module';

// The admin API answers on loopback unless FLOW_BIND_HOST says otherwise (SPEC section 6).
void runHttpApp({ name: 'config-loader', module: ConfigLoaderModule.forRoot, port: (config) => config.ports.configLoader, defaultBindHost: '127.0.0.1', configure: configureConfigLoader });
