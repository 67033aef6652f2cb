export * from './lib/webhook-delivery-filter';
export * from './lib/webhook-delivery.producer';
export * from './lib/webhook-events';
export * from './lib/webhook-outbox';
export * from './lib/webhook-sender';
export * from './lib/webhook-signature';
export * from './lib/webhook-sweep';
export * from './lib/webhooks.module';
