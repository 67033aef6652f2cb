export * from './lib/flow-events';
export * from './lib/event-routes';
export * from './lib/work-queues';
