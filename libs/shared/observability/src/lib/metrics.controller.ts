import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '@flow-oauth/http-common';
import type { Response } from 'express';
import { Registry } from 'prom-client';

/**
 * `GET /metrics`: this process's registry in Prometheus text format. Public like /health: it holds
 * counts and durations only (no id, label, key or token), and a scraper should not need an API key.
 */
@Controller()
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Public()
  @Get('metrics')
  async metrics(@Res() res: Response): Promise<void> {
    const text = await this.registry.metrics();
    res.setHeader('Content-Type', this.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    // end(), not send(): Express would rewrite the content type prom-client gives.
    res.end(text);
  }
}
