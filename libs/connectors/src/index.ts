export * from './lib/authorization-state.store';
export * from './lib/connector-authorization.service';
export * from './lib/connector-view';
export * from './lib/connectors.module';
export * from './lib/connectors.service';
export * from './lib/label-rules';
export * from './lib/provider-registry';
export * from './lib/return-page';
