import 'reflect-metadata';
import { runHttpApp } from '@flow-oauth/app-runtime';
import { ConfigLoaderModule } from './app/config-loader.module';

void runHttpApp({ name: 'config-loader', module: ConfigLoaderModule.forRoot, port: (config) => config.ports.configLoader });
