export * from './lib/load-plan';
export * from './lib/provider-config.module';
export * from './lib/provider-configuration.service';
export * from './lib/provider-requests';
