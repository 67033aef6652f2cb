import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ConnectorsPage } from '@flow-oauth/connectors-page';
import { Public } from '@flow-oauth/http-common';
import { PageErrorFilter, sendPage } from '@flow-oauth/web-pages';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

/** The connectors page: `/` and its forms. Public routes: the page's own browser session decides (no API key). */
@ApiTags('pages')
@Controller()
@Public()
@UseFilters(PageErrorFilter)
export class ConnectorsPageController {
  constructor(private readonly page: ConnectorsPage) {}

  @Get()
  async home(@Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.home(req));
  }

  @Get('connectors/new')
  async newConnector(@Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.newConnector(req));
  }

  @Post('connectors')
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    sendPage(res, await this.page.create(req));
  }

  @Post('connectors/:id/validate')
  async validate(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    sendPage(res, await this.page.validate(req, id));
  }

  @Post('connectors/:id/reconnect')
  async reconnect(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    sendPage(res, await this.page.reconnect(req, id));
  }

  @Post('connectors/:id/delete')
  async delete(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    sendPage(res, await this.page.delete(req, id));
  }
}
