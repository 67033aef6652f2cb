import { Controller, Post, Req, Res, UseFilters } from '@nestjs/common';
import { SignInPages } from '@flow-oauth/api-auth';
import { Public } from '@flow-oauth/http-common';
import { PageErrorFilter, sendPage } from '@flow-oauth/web-pages';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

/** The pages' sign-in and sign-out forms (a key in a POST body, never in a URL). */
@ApiTags('pages')
@Controller()
@Public()
@UseFilters(PageErrorFilter)
export class SignInPagesController {
  constructor(private readonly pages: SignInPages) {}

  @Post('sign-in')
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.pages.submit(req));
  }

  @Post('sign-out')
  async signOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.pages.signOut(req));
  }
}
