export * from './lib/log-capture';
export * from './lib/test-config';
export * from './lib/test-databases';
export * from './lib/oidc-test-server';
export * from './lib/oauth1-test-server';
export * from './lib/recording-http-server';
export { HttpSession, type SessionResponse } from './lib/http-session';
export * from './lib/api-call';
export * from './lib/prometheus-text';
