import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ActivityModule } from '@flow-oauth/activity';
import { AdminBrowserSession } from './admin-browser-session';
import { ApiKeyGuard } from './api-key.guard';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { BrowserSessions, RedisBrowserSessions } from './browser-sessions';
import { BrowserSignIn } from './browser-sign-in';
import { KeyIdentifier } from './key-identifier';
import { SignInPages } from './sign-in-pages';
import { UsersService } from './users.service';

/**
 * Installs the API-key guard (with its failed-authentication throttle) on every route of the app
 * (routes opt out with @Public()); browser sessions and the pages' sign-in.
 */
@Module({
  imports: [ActivityModule],
  providers: [
    UsersService,
    KeyIdentifier,
    AuthFailureLimiter,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: BrowserSessions, useClass: RedisBrowserSessions },
    BrowserSignIn,
    AdminBrowserSession,
    SignInPages,
  ],
  exports: [UsersService, KeyIdentifier, BrowserSessions, BrowserSignIn, AdminBrowserSession, SignInPages],
})
export class ApiAuthModule {}
