export * from './lib/bootstrap';
export * from './lib/health.module';
