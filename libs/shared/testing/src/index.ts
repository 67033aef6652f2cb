export * from './lib/log-capture';
export * from './lib/test-config';
export * from './lib/test-databases';
export * from './lib/oidc-test-server';
export * from './lib/oauth1-test-server';
export * from './lib/recording-http-server';
export { HttpSession, readForm, type SessionResponse } from './lib/http-session';
export * from './lib/flow-start-link';
export * from './lib/api-call';
