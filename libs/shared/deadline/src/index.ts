export * from './lib/deadline';
