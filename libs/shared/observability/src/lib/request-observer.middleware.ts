import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level } from 'pino';
import { HttpMetrics } from './http-metrics';
import type { PinoRoot } from './logging';
import { assignRequestId } from './request-id';
import { pathWithoutQuery, routeLabel } from './route-label';

/** The process's pino logger, for the access log. */
export const ACCESS_LOG = Symbol('ACCESS_LOG');

/** Scrapes and probes, logged at debug when they succeed: at info they would be most of the log. */
const QUIET_ROUTES = new Set(['/health', '/metrics']);

/**
 * Per request: a request id (kept from a sane `X-Request-Id`, else new; sent back); then, when the
 * response is done, one access log line (method, route pattern, path without query, status,
 * duration in ms, request id: never a header, a body or a query string) and one observation of
 * `flow_http_request_duration_seconds`.
 * The token API is a hot path, so this is one middleware with one listener, instead of pino-http
 * (two child loggers and three listeners per request) and nestjs-pino's per-request logging
 * context (AsyncLocalStorage, about 5% of a token request here): app log lines made while serving
 * a request do not carry its id; its access line does.
 */
@Injectable()
export class RequestObserverMiddleware implements NestMiddleware {
  constructor(
    private readonly metrics: HttpMetrics,
    @Inject(ACCESS_LOG) private readonly log: PinoRoot,
  ) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    const reqId = assignRequestId(req, res);
    // 'close' follows 'finish' for a completed response, and comes alone for an abandoned one.
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req);
      const finished = res.writableFinished;
      if (finished) this.metrics.duration.observe({ method: req.method ?? 'GET', route, status_code: String(res.statusCode) }, seconds);
      const level: Level = res.statusCode >= 500 ? 'error' : res.statusCode < 400 && finished && QUIET_ROUTES.has(route) ? 'debug' : 'info';
      if (!this.log.isLevelEnabled(level)) return;
      this.log[level](
        { reqId, method: req.method, route, path: pathWithoutQuery(req), statusCode: res.statusCode, responseTime: Math.round(seconds * 1e4) / 10 },
        `${finished ? '' : 'aborted '}${req.method} ${route} ${res.statusCode}`,
      );
    });
    next();
  }
}
