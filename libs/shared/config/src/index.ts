export * from './lib/config-error';
export * from './lib/flow-config';
export * from './lib/flow-config.module';
export * from './lib/load-config';
export { readOrCreateGeneratedKeys, GENERATED_KEYS_FILE, type GeneratedKeys } from './lib/generated-keys';
export type { TrustProxySetting } from './lib/network-settings';
