import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram, Registry } from 'prom-client';
import { routeLabel } from './route-label';

/** `flow_http_request_duration_seconds{method, route, status_code}`: the route is the pattern, never the URL. */
@Injectable()
export class HttpMetrics {
  readonly duration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'flow_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code, and how long they took to answer',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }
}

/** Times every request from the moment it reaches Nest's middleware until its response is sent. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HttpMetrics) {}

  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    // 'finish' only: a request the client abandoned has no status to report.
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.duration.observe({ method: req.method ?? 'GET', route: routeLabel(req), status_code: String(res.statusCode) }, seconds);
    });
    next();
  }
}
