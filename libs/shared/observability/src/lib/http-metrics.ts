import { Injectable } from '@nestjs/common';
import { Histogram, Registry } from 'prom-client';

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
