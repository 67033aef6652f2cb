import { Controller, Get, Inject, Res } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { Public } from '@flow-oauth/http-common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

/** The admin page is served by flow-oauth-server (the public one); someone opening config-loader's /admin is sent there. */
@ApiTags('pages')
@Controller('admin')
export class AdminPageRedirectController {
  private readonly adminPage: string;

  constructor(@Inject(FLOW_CONFIG) config: FlowConfig) {
    this.adminPage = `${config.publicUrl}/admin`;
  }

  @Public()
  @Get()
  redirect(@Res() res: Response): void {
    res.status(302).set('cache-control', 'no-store').location(this.adminPage).end();
  }
}
