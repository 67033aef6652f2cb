import 'reflect-metadata';
import { runHttpApp } from '@flow-oauth/app-runtime';
import { configureTokenRefresher, TokenRefresherModule } from './app/token-refresher.module';

// A Nest app with one small HTTP port for /health; the work is the BullMQ processor.
void runHttpApp({ name: 'token-refresher', module: TokenRefresherModule.forRoot, port: (config) => config.ports.tokenRefresher, configure: configureTokenRefresher });
