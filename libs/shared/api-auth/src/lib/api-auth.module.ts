import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { BrowserSessions, RedisBrowserSessions } from './browser-sessions';
import { UsersService } from './users.service';

/**
 * Installs the API-key guard (with its failed-authentication throttle) on every route of the app
 * (routes opt out with @Public()); browser sessions.
 */
@Module({
  providers: [UsersService, AuthFailureLimiter, { provide: APP_GUARD, useClass: ApiKeyGuard }, { provide: BrowserSessions, useClass: RedisBrowserSessions }],
  exports: [UsersService, BrowserSessions],
})
export class ApiAuthModule {}
