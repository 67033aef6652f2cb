import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '@flow-oauth/http-common';
import { FLOW_STYLESHEET, STYLESHEET_PATH } from '@flow-oauth/web-pages';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

/** The pages' one stylesheet: their CSP allows styles from this origin only, never inline. */
@ApiTags('pages')
@Controller()
export class AssetsController {
  @Public()
  @Get(STYLESHEET_PATH.slice(1))
  stylesheet(@Res() res: Response): void {
    res.status(200).set({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }).send(FLOW_STYLESHEET);
  }
}
