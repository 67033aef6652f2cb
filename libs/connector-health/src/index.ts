export * from './lib/connector-health-check';
export * from './lib/connector-health.module';
export * from './lib/health-check-rate-limit';
export * from './lib/health-scanner';
export * from './lib/reauth-warnings';
