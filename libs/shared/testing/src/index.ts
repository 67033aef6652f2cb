export * from './lib/log-capture';
export * from './lib/test-config';
export * from './lib/test-databases';
