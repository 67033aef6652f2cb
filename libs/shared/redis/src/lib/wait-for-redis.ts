import type { Logger } from '@nestjs/common';
import { maskUrl } from '@flow-oauth/config';
import { pingRedis } from './redis-connection';

/**
 * Start-up waits here while Redis is down, saying so clearly every few seconds, instead of
 * crashing and being restarted by pm2 in a loop.
 */
export async function waitForRedis(url: string, logger: Pick<Logger, 'warn' | 'log'>, retryMs = 5000): Promise<void> {
  let warned = false;
  for (;;) {
    try {
      await pingRedis(url);
      if (warned) logger.log('Redis is reachable again; starting.');
      return;
    } catch (error) {
      logger.warn(`Redis at ${maskUrl(url)} is not reachable (${(error as Error).message}). Start Redis or set REDIS_URL. Waiting, retrying every ${Math.round(retryMs / 1000)} s.`);
      warned = true;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
