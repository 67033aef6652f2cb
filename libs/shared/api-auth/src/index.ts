export * from './lib/admin-browser-session';
export * from './lib/api-auth.module';
export * from './lib/auth.decorators';
export * from './lib/browser-sessions';
export * from './lib/browser-sign-in';
export * from './lib/key-identifier';
export * from './lib/principal';
export * from './lib/sign-in-page';
export { hashApiKey, UsersService } from './lib/users.service';
