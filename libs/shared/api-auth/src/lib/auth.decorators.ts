import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Principal, Role } from './principal';

export const ROLES_KEY = 'flow:roles';

/** The OpenAPI extension that names the roles of an operation (the API docs say which key it takes). */
export const ROLES_OPENAPI_EXTENSION = 'x-flow-roles';

/** Which principals may call a route (or every route of a controller); said so in OpenAPI too. */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension(ROLES_OPENAPI_EXTENSION, roles));


/** The authenticated principal of the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
  if (!req.principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
  return req.principal;
});
