export * from './lib/connector-lock';
export * from './lib/connector-token-store';
export * from './lib/refresh.producer';
export * from './lib/token-refresh.module';
export * from './lib/token-refresh.service';
export * from './lib/refresh-sweep';
