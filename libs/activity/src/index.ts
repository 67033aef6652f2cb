export * from './lib/activity';
export * from './lib/activity-recorder';
export * from './lib/activity.module';
export * from './lib/retention-pruner';
