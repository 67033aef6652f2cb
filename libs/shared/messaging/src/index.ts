export * from './lib/bullmq-client';
export * from './lib/bullmq-context';
export * from './lib/bullmq-server';
export * from './lib/emit-event';
export * from './lib/messaging.module';
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MESSAGING_PREFIX } from './lib/messaging-options';
export type { BullMqClientOptions, BullMqServerOptions, MessagingConnection } from './lib/messaging-options';
export { HEARTBEAT_INTERVAL_MS, SUBSCRIBER_TTL_MS } from './lib/subscriber-registry';
