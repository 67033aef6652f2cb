export * from './lib/bullmq-client';
export * from './lib/bullmq-server';
export * from './lib/emit-event';
export { obliterateQueue } from './lib/event-queues';
export * from './lib/messaging.module';
export type { BullMqClientOptions, BullMqServerOptions, MessagingConnection } from './lib/messaging-options';
