import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { withDeadline } from '@flow-oauth/deadline';
import type { Response } from 'express';
import { Public } from './public-route';

/** One readiness check (database, Redis); it throws when the dependency does not answer. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** `GET /health`: readiness of every dependency, 200 when all answer, 503 naming the ones that don't. */
@Controller()
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Public()
  @Get('health')
  async health(@Res() res: Response): Promise<void> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withDeadline(c.check(), 2000);
          return [c.name, 'up'] as const;
        } catch {
          return [c.name, 'down'] as const;
        }
      }),
    );
    const ok = results.every(([, state]) => state === 'up');
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ status: ok ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
  }
}
