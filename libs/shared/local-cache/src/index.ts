export * from './lib/local-cache';
