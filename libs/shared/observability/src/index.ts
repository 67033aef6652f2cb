export * from './lib/connector-metrics';
export * from './lib/http-metrics';
export * from './lib/logging';
export * from './lib/observability.module';
export * from './lib/queue-metrics';
export * from './lib/refresh-metrics';
export * from './lib/request-id';
export * from './lib/route-label';
