import { Controller, Delete, Get, Header, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CurrentPrincipal, type Principal, Roles } from '@flow-oauth/api-auth';
import { ApiAnswer, ApiErrorAnswer } from '@flow-oauth/api-docs';
import { ConnectorAuthorizationService, ConnectorsService, ReauthorizeDto, StartAuthorizationDto } from '@flow-oauth/connectors';
import { JsonBody } from '@flow-oauth/http-common';
import { ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';

const SMALL_BODY = 64 * 1024;

/** Connectors: start a sign-in, sign one in again, read, fetch a token, validate, delete. */
@ApiTags('connectors')
@Controller('api/connectors')
@Roles('admin', 'user')
export class ConnectorsController {
  constructor(
    private readonly authorizations: ConnectorAuthorizationService,
    private readonly connectors: ConnectorsService,
  ) {}

  @Post('authorizations')
  @ApiAnswer(201, 'AuthorizationAnswer')
  @ApiErrorAnswer(409, 'ApiError', 'The label is taken (`label_taken`)')
  startAuthorization(@CurrentPrincipal() principal: Principal, @JsonBody(StartAuthorizationDto, { limitBytes: SMALL_BODY }) request: StartAuthorizationDto) {
    return this.authorizations.start(principal, request);
  }

  /** Signs an existing connector in again (same id and label): `{ scopes?, redirectUrl? }` -> `{ authorizeUrl, state, expiresAt }`. */
  @Post(':id/reauthorize')
  @ApiAnswer(201, 'AuthorizationAnswer')
  reauthorize(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @JsonBody(ReauthorizeDto, { limitBytes: SMALL_BODY, optional: true }) request: ReauthorizeDto) {
    return this.authorizations.reconnect(principal, id, request);
  }

  @Get()
  @Roles('admin', 'user', 'service')
  @ApiAnswer(200, 'Connector', { list: true })
  list(@CurrentPrincipal() principal: Principal) {
    return this.connectors.list(principal);
  }

  @Get(':id')
  @Roles('admin', 'user', 'service')
  @ApiAnswer(200, 'Connector')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.connectors.get(principal, id);
  }

  @Get(':id/token')
  @Roles('admin', 'user', 'service')
  @ApiParam({ name: 'id', description: 'the connector id' })
  @ApiAnswer(200, 'Token', { description: 'A valid access token (refreshed first if it expires within the margin); `Cache-Control: no-store`' })
  @ApiErrorAnswer(409, 'ApiError', 'The connector needs its user to sign in again (`needs_reauth`)')
  @ApiErrorAnswer(503, 'ApiError', 'Redis or the database is down, a refresh is in progress elsewhere, the provider is unreachable, or its credentials were rejected (`provider_credentials_rejected`)')
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
  @ApiResponse({ status: 200, description: 'What the provider answered to the definition\'s validate request' })
  validate(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.connectors.validate(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Revoked at the provider where it can be; tokens and jobs deleted' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.connectors.delete(principal, id);
  }
}
