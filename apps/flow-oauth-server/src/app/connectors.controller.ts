import { Controller, Delete, Get, Header, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CurrentPrincipal, type Principal, Roles } from '@flow-oauth/api-auth';
import { ConnectorAuthorizationService, ConnectorsService, ReauthorizeDto, StartAuthorizationDto } from '@flow-oauth/connectors';
import { JsonBody } from '@flow-oauth/http-common';
import type { Request } from 'express';

const SMALL_BODY = 64 * 1024;

/** Connectors: start a sign-in, sign one in again, read, fetch a token, validate, delete. */
@Controller('api/connectors')
@Roles('admin', 'user')
export class ConnectorsController {
  constructor(
    private readonly authorizations: ConnectorAuthorizationService,
    private readonly connectors: ConnectorsService,
  ) {}

  @Post('authorizations')
  startAuthorization(@CurrentPrincipal() principal: Principal, @JsonBody(StartAuthorizationDto, { limitBytes: SMALL_BODY }) request: StartAuthorizationDto) {
    return this.authorizations.start(principal, request);
  }

  /** Signs an existing connector in again (same id and label): `{ scopes?, redirectUrl? }` -> `{ authorizeUrl, state, expiresAt }`. */
  @Post(':id/reauthorize')
  reauthorize(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @JsonBody(ReauthorizeDto, { limitBytes: SMALL_BODY, optional: true }) request: ReauthorizeDto) {
    return this.authorizations.reconnect(principal, id, request);
  }

  @Get()
  @Roles('admin', 'user', 'service')
  list(@CurrentPrincipal() principal: Principal) {
    return this.connectors.list(principal);
  }

  @Get(':id')
  @Roles('admin', 'user', 'service')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.connectors.get(principal, id);
  }

  @Get(':id/token')
  @Roles('admin', 'user', 'service')
  // A token must not be kept by any cache between Flow and the workflow engine (HTTP/1.0 ones included).
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  // The hot path: the id and the guard's principal read from the request itself, as Nest resolves
  // @Param and @CurrentPrincipal through its pipe machinery on every request (~2% of a token answer).
  token(@Req() req: Request & { principal: Principal }) {
    return this.connectors.token(req.principal, String(req.params['id']));
  }

  @Post(':id/validate')
  @HttpCode(200)
  validate(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.connectors.validate(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.connectors.delete(principal, id);
  }
}
