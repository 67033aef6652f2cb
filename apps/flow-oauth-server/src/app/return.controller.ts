import { Controller, Get, Query, Res } from '@nestjs/common';
import { ConnectorAuthorizationService, renderReturnPage } from '@flow-oauth/connectors';
import { Public } from '@flow-oauth/http-common';
import type { Response } from 'express';

/** The redirect URI registered with every provider; bound to a single-use state, so it needs no key. */
@Controller('Thingworx/Oauths/oauth')
export class ReturnController {
  constructor(private readonly authorizations: ConnectorAuthorizationService) {}

  @Public()
  @Get('return')
  async return(@Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const outcome = await this.authorizations.complete(query);
    res
      .status(outcome.ok ? 200 : outcome.status)
      .set({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' })
      .send(renderReturnPage(outcome));
  }
}
