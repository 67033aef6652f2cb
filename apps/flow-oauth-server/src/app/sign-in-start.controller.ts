import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { SignInStartService, type StartAnswer, type StartRequest } from '@flow-oauth/connectors';
import { Public } from '@flow-oauth/http-common';
import { htmlPageHeaders, setBrowserCookies } from '@flow-oauth/web-pages';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

/**
 * The start link (`authorizeUrl` of POST /api/connectors/authorizations): binds the sign-in to the
 * browser that opens it. Public: it is a single-use capability, confirmed by the person (or their
 * Flow session), not an API call.
 */
@ApiTags('sign-in')
@Controller('Thingworx/Oauths/oauth/start')
export class SignInStartController {
  constructor(private readonly starts: SignInStartService) {}

  @Public()
  @Get()
  async open(@Req() req: StartRequest, @Res() res: Response): Promise<void> {
    send(res, await this.starts.open(req.query['id'], req));
  }

  @Public()
  @Post()
  async confirm(@Req() req: StartRequest, @Res() res: Response): Promise<void> {
    send(res, await this.starts.confirm(req));
  }
}

function send(res: Response, answer: StartAnswer): void {
  setBrowserCookies(res, answer.cookies);
  if (answer.kind === 'redirect') {
    // 303: the browser follows the form post with a GET to the provider.
    res.status(303).set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).location(answer.location).end();
    return;
  }
  res.status(answer.status).set(htmlPageHeaders({ formAction: answer.formAction })).send(answer.html);
}
