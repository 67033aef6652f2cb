export * from './lib/api-auth.module';
export * from './lib/auth.decorators';
export * from './lib/browser-sessions';
export * from './lib/principal';
export { hashApiKey, UsersService } from './lib/users.service';
