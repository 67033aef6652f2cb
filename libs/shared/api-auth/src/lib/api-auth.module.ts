import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { UsersService } from './users.service';

/** Installs the API-key guard on every route of the app (routes opt out with @Public()). */
@Module({
  providers: [UsersService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [UsersService],
})
export class ApiAuthModule {}
