export * from './lib/api-error';
export * from './lib/api-exception.filter';
export * from './lib/health';
export * from './lib/request-body';
export * from './lib/form-body';
export * from './lib/public-route';
export * from './lib/dependency-errors';
