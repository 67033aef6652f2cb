export * from './lib/sealed-place';
export * from './lib/secret-box';
