export * from './lib/periodic-task';
