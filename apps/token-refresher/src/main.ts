import 'reflect-metadata';
import { runHttpApp } from '@flow-oauth/app-runtime';
import { configureTokenRefresher, TokenRefresherModule } from './app/token-refresher.module';

// A Nest app with one small HTTP port for /health and /metrics; the work is the due-refresh loop (background refresh),
// the health and reauth-warning scans and the webhook-delivery queue's processor.
void runHttpApp({ name: 'token-refresher', module: TokenRefresherModule.forRoot, port: (config) => config.ports.tokenRefresher, configure: configureTokenRefresher });
