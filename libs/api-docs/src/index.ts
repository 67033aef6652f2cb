export * from './lib/openapi-components';
export * from './lib/api-document';
export * from './lib/api-docs-routes';
