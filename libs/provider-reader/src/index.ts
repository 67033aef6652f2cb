export * from './lib/provider-credentials-state';
export * from './lib/provider-reader';
export * from './lib/provider-reader.module';
