import { Controller, Get, Req, Res } from '@nestjs/common';
import { ConnectorAuthorizationService } from '@flow-oauth/connectors';
import { Public } from '@flow-oauth/http-common';
import { htmlPageHeaders, setBrowserCookies } from '@flow-oauth/web-pages';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

/**
 * The redirect URI registered with every provider; bound to a single-use state and to the browser
 * that opened the start link (its cookie), so it needs no key.
 */
@ApiTags('sign-in')
@Controller('Thingworx/Oauths/oauth')
export class ReturnController {
  constructor(private readonly authorizations: ConnectorAuthorizationService) {}

  @Public()
  @Get('return')
  async return(@Req() req: Request & { cookies?: Record<string, unknown> }, @Res() res: Response): Promise<void> {
    const answer = await this.authorizations.complete(req.query as Record<string, unknown>, req.cookies);
    setBrowserCookies(res, answer.cookies);
    res.status(answer.status).set(htmlPageHeaders()).send(answer.html);
  }
}
