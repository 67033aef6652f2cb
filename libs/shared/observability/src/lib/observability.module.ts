import { type DynamicModule, Global, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import type { LogSettings } from '@flow-oauth/config';
import { LoggerModule } from 'nestjs-pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics';
import { createRootLogger, loggerParams } from './logging';
import { ACCESS_LOG, RequestObserverMiddleware } from './request-observer.middleware';
import { MetricsController } from './metrics.controller';

export interface ObservabilityOptions {
  /** pm2 name of the process: the `app` field of every log line and the `app` label of every metric. */
  app: string;
  /** pm2 instance number (NODE_APP_INSTANCE). */
  instance: number;
  log: LogSettings;
}

/**
 * One Prometheus registry per process (injected as prom-client's `Registry`; not the library's
 * global one, so several apps in one test process do not collide), Node's default process metrics
 * under their standard names, `GET /metrics`, HTTP latency by route, and JSON logs: Nest's logger
 * through nestjs-pino, and an access log. Every process imports it (FlowRuntimeModule).
 */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const root = createRootLogger(options.app, options.instance, options.log);
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot(loggerParams(root))],
      controllers: [MetricsController],
      providers: [{ provide: Registry, useFactory: () => processRegistry(options) }, { provide: ACCESS_LOG, useValue: root }, HttpMetrics, RequestObserverMiddleware],
      exports: [Registry],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // The same route form nestjs-pino uses: every path, including `/`, without Nest's wildcard warning.
    consumer.apply(RequestObserverMiddleware).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}

function processRegistry(options: ObservabilityOptions): Registry {
  const registry = new Registry();
  // No instance label: Prometheus's own `instance` (the scraped host:port) tells pm2 instances apart.
  registry.setDefaultLabels({ app: options.app });
  collectDefaultMetrics({ register: registry });
  return registry;
}
