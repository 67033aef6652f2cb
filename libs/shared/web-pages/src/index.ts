export * from './lib/browser-cookies';
export * from './lib/content-security-policy';
export * from './lib/flow-stylesheet';
export * from './lib/page-layout';
