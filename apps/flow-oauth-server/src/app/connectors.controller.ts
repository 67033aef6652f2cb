import { Controller, Delete, Get, Header, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CurrentPrincipal, type Principal, Roles } from '@flow-oauth/api-auth';
import { ConnectorAuthorizationService, ConnectorsService } from '@flow-oauth/connectors';
import { parseJsonObject, readJsonText } from '@flow-oauth/http-common';
import type { Request } from 'express';

const SMALL_BODY = 64 * 1024;

/** Connectors: start a sign-in, read, fetch a token, validate, delete. */
@Controller('api/connectors')
@Roles('admin', 'user')
export class ConnectorsController {
  constructor(
    private readonly authorizations: ConnectorAuthorizationService,
    private readonly connectors: ConnectorsService,
  ) {}

  @Post('authorizations')
  async startAuthorization(@CurrentPrincipal() principal: Principal, @Req() req: Request) {
    const body = parseJsonObject(await readJsonText(req, { limitBytes: SMALL_BODY }));
    return this.authorizations.start(principal, body);
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
  token(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.connectors.token(principal, id);
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
