import { Body, Controller, Get, Post, Req, Res, UploadedFile, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { AdminPage } from '@flow-oauth/admin-page';
import { AdminBrowserSession, CurrentPageSession, type PageSession } from '@flow-oauth/api-auth';
import { Public } from '@flow-oauth/http-common';
import { PageErrorFilter, sendPage } from '@flow-oauth/web-pages';
import { ApiTags } from '@nestjs/swagger';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Request, Response } from 'express';

/**
 * The admin page: `/admin` (its sign-in form without an admin session) and its forms, each behind
 * the administrator's browser session (AdminBrowserSession) instead of an API key.
 */
@ApiTags('pages')
@Controller('admin')
@Public()
@UseFilters(PageErrorFilter)
export class AdminPageController {
  constructor(private readonly page: AdminPage) {}

  @Get()
  async view(@Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.view(req));
  }

  @Get('template')
  @UseGuards(AdminBrowserSession)
  template(@Res() res: Response): void {
    sendPage(res, this.page.template());
  }

  /** A connector type's setup guide (`?type=`), from config-loader. */
  @Get('setup')
  @UseGuards(AdminBrowserSession)
  async setupGuide(@CurrentPageSession() session: PageSession, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.setupGuide(session, req));
  }

  /** The load form: pasted text or an uploaded file (multipart; the guard runs before anything is read). */
  @Post('configuration')
  @UseGuards(AdminBrowserSession)
  @UseInterceptors(FileInterceptor('file'))
  async plan(
    @CurrentPageSession() session: PageSession,
    @UploadedFile() file: { buffer: Buffer; size: number } | undefined,
    @Body() fields: Record<string, unknown> | undefined,
    @Res() res: Response,
  ): Promise<void> {
    sendPage(res, await this.page.plan(session, { fields: fields ?? {}, file }));
  }

  @Post('configuration/apply')
  @UseGuards(AdminBrowserSession)
  async apply(@CurrentPageSession() session: PageSession, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.apply(session, req));
  }

  @Post('providers/delete')
  @UseGuards(AdminBrowserSession)
  async deleteProvider(@CurrentPageSession() session: PageSession, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.deleteProvider(session, req));
  }

  @Post('providers/purge')
  @UseGuards(AdminBrowserSession)
  async purgeTokens(@CurrentPageSession() session: PageSession, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.purgeTokens(session, req));
  }

  @Post('users')
  @UseGuards(AdminBrowserSession)
  async createUser(@CurrentPageSession() session: PageSession, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.createUser(session, req));
  }

  @Post('users/delete')
  @UseGuards(AdminBrowserSession)
  async deleteUser(@CurrentPageSession() session: PageSession, @Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.deleteUser(session, req));
  }
}
