export * from './lib/bootstrap';
export * from './lib/health.module';
export * from './lib/flow-runtime.module';
export * from './lib/in-process';
export * from './lib/public-port';
