import type { DynamicModule, INestApplication, INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, type FlowConfig, loadConfig } from '@flow-oauth/config';
import { ApiExceptionFilter } from '@flow-oauth/http-common';
import { EncryptionKeyMismatchError } from '@flow-oauth/persistence';
import { waitForRedis } from '@flow-oauth/redis';
import { STRICT_CSP_DIRECTIVES } from '@flow-oauth/web-pages';
import helmet from 'helmet';

/** Exit code of a process that refuses its configuration (EX_CONFIG); pm2 is told not to restart it. */
export const CONFIG_EXIT_CODE = 78;

export interface HttpAppSpec {
  /** pm2 name, used as the logger context. */
  name: string;
  module: (config: FlowConfig) => DynamicModule;
  port: (config: FlowConfig) => number;
  /** Extra set-up before listen (microservice transports, middleware). */
  configure?: (app: INestApplication, config: FlowConfig) => Promise<void> | void;
}

/** Builds an HTTP app the way every process runs: security headers, JSON errors, raw bodies, shutdown hooks. */
export async function createHttpApp(spec: HttpAppSpec, config: FlowConfig): Promise<INestApplication> {
  const app = await NestFactory.create(spec.module(config), { bodyParser: false, bufferLogs: false, abortOnError: false });
  app.useGlobalFilters(new ApiExceptionFilter());
  app.enableShutdownHooks();
  const http = app.getHttpAdapter().getInstance() as { disable?: (name: string) => void };
  http.disable?.('x-powered-by');
  // No ETag on any answer: one over a token answer lets caches and clients keep (and compare) tokens.
  http.disable?.('etag');
  app.use(helmet(securityHeaders(config)));
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

/** main.ts of every process: validate config, wait for Redis, start, listen, tell pm2 we are ready. */
export async function runHttpApp(spec: HttpAppSpec): Promise<INestApplicationContext | undefined> {
  const logger = new Logger(spec.name);
  let config: FlowConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(error.message);
      process.exitCode = CONFIG_EXIT_CODE;
      return undefined;
    }
    throw error;
  }
  for (const warning of config.warnings) logger.warn(warning);
  if (config.generated.length > 0) {
    logger.log(`Generated ${config.generated.join(', ')} into ${config.dataDir} (keep this folder; back it up with the database).`);
  }
  await waitForRedis(config.redisUrl, logger);
  try {
    const app = await createHttpApp(spec, config);
    await app.listen(spec.port(config));
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
