export * from './lib/provider-quirks';
export * from './lib/setup-guide';
