export * from './lib/queue-dashboard';
