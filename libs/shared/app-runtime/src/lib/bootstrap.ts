import type { DynamicModule, INestApplication, INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CONFIG_EXIT_CODE, ConfigError, type FlowConfig, instancePort, loadConfig } from '@flow-oauth/config';
import { ApiExceptionFilter } from '@flow-oauth/http-common';
import { createProcessLogger, useProcessLogger } from '@flow-oauth/observability';
import { EncryptionKeyMismatchError, waitForDatabase } from '@flow-oauth/persistence';
import { REDIS, waitForRedis } from '@flow-oauth/redis';
import { STRICT_CSP_DIRECTIVES } from '@flow-oauth/web-pages';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { RequestListener, Server } from 'node:http';
import { listenOnPublicPort, type PublicPortOptions, standInForPublicPort } from './public-port';

export interface HttpAppSpec {
  /** pm2 name, used as the logger context. */
  name: string;
  module: (config: FlowConfig) => DynamicModule;
  /** The configured port; pm2 instance i listens on `instancePort(port, i)`. */
  port: (config: FlowConfig) => number;
  /** Listen address when FLOW_BIND_HOST is not set; undefined = every interface (SPEC section 6). */
  defaultBindHost?: string;
  /**
   * The configured port is the public one (flow-oauth-server: FLOW_PUBLIC_URL, redirect URIs): when
   * pm2 scale removes instance 0, another instance serves it too until an instance 0 is back (public-port.ts).
   */
  keepPublicPort?: boolean;
  /** Extra set-up before listen (microservice transports, middleware). */
  configure?: (app: INestApplication, config: FlowConfig) => Promise<void> | void;
}

/** Builds an HTTP app the way every process runs: security headers, JSON errors, raw bodies, shutdown hooks. */
export async function createHttpApp(spec: HttpAppSpec, config: FlowConfig): Promise<INestApplication> {
  // Lines logged while the app starts wait for the JSON logger (FlowRuntimeModule's nestjs-pino).
  const app = await NestFactory.create(spec.module(config), { bodyParser: false, bufferLogs: true, abortOnError: false });
  useProcessLogger(app);
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();
  const http = app.getHttpAdapter().getInstance() as { disable?: (name: string) => void; set?: (name: string, value: unknown) => void };
  http.disable?.('x-powered-by');
  // No ETag on any answer: one over a token answer lets caches and clients keep (and compare) tokens.
  http.disable?.('etag');
  app.use(helmet(securityHeaders(config)));
  // The client address failed keys are counted against (api-auth): the proxy's view, only when told to trust it.
  http.set?.('trust proxy', config.trustProxy);
  await spec.configure?.(app, config);
  return app;
}

/**
 * helmet on every answer: nosniff, no-referrer, no framing, and the strict CSP (pages widen their
 * form-action themselves). No `upgrade-insecure-requests`: on a plain-http FLOW_PUBLIC_URL it would
 * send the confirmation form to https. HSTS only when FLOW_PUBLIC_URL is https.
 */
function securityHeaders(config: FlowConfig): Parameters<typeof helmet>[0] {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: { ...STRICT_CSP_DIRECTIVES } },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: new URL(config.publicUrl).protocol === 'https:' ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  };
}

/** main.ts of every process: validate config, wait for Redis and the database, start, listen, tell pm2 we are ready. */
export async function runHttpApp(spec: HttpAppSpec): Promise<INestApplicationContext | undefined> {
  const logger = new Logger(spec.name);
  let config: FlowConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      Logger.overrideLogger(createProcessLogger(spec.name));
      logger.error(error.message);
      process.exitCode = CONFIG_EXIT_CODE;
      return undefined;
    }
    throw error;
  }
  Logger.overrideLogger(createProcessLogger(spec.name, config.instance, config.log));
  for (const warning of config.warnings) logger.warn(warning);
  if (config.generated.length > 0) {
    logger.log(`Generated ${config.generated.join(', ')} into ${config.dataDir} (keep this folder; back it up with the database).`);
  }
  await waitForRedis(config.redisUrl, logger);
  await waitForDatabase(config.database, logger);
  try {
    const app = await createHttpApp(spec, config);
    const host = config.bindHost ?? spec.defaultBindHost;
    const base = spec.port(config);
    const port = instancePort(base, config.instance);
    const listen = () => (host === undefined ? app.listen(port) : app.listen(port, host));
    const publicPort: PublicPortOptions | undefined =
      spec.keepPublicPort && base !== 0 ? { redis: app.get<Redis>(REDIS), claimKey: `${config.queuePrefix}:public-port:${spec.name}:${base}`, port: base, host, logger } : undefined;
    if (publicPort && config.instance === 0) await listenOnPublicPort(listen, publicPort);
    else await listen();
    if (publicPort && config.instance > 0) {
      const standIn = standInForPublicPort(app.getHttpAdapter().getInstance() as RequestListener, publicPort);
      (app.getHttpServer() as Server).once('close', () => void standIn.stop());
    }
    logger.log(`${spec.name} listening on ${await app.getUrl()}`);
    process.send?.('ready');
    return app;
  } catch (error) {
    logger.error(`Start-up failed: ${(error as Error).message}`);
    // A wrong encryption key does not heal by restarting: exit with the
    // configuration code, which ecosystem.config.js does not restart. Anything else may be passing.
    const code = error instanceof EncryptionKeyMismatchError ? CONFIG_EXIT_CODE : 1;
    process.exitCode = code;
    // Give pm2 a moment between restarts so a persistent fault is not a tight crash loop.
    setTimeout(() => process.exit(code), 3000).unref();
    return undefined;
  }
}
