export * from './lib/audit-actor';
export * from './lib/audit-filter';
export * from './lib/audit-trail';
export * from './lib/audit.module';
