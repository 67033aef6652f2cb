import * as os from 'node:os';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import type { LogSettings } from '@flow-oauth/config';
import { Logger as NestPinoLogger, type Params, PinoLogger } from 'nestjs-pino';
import { type DestinationStream, type Logger as PinoRoot, pino, stdSerializers, stdTimeFunctions } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { PinoRoot };

export const DEFAULT_LOG_SETTINGS: LogSettings = { level: 'info', format: 'json' };

/** Credentials, should a headers object ever be logged (the access log logs no header at all). */
const REDACTED_PATHS = ['headers.appkey', 'headers.authorization', 'headers.cookie', 'headers["set-cookie"]'];

/**
 * Where pino writes: `process.stdout.write`, looked up at every line. pm2 collects stdout into its
 * log files, and the test suites capture `process.stdout.write` to search every line for secrets,
 * which pino's default destination (a direct write to file descriptor 1) would bypass.
 */
function stdoutDestination(settings: LogSettings): DestinationStream {
  if (settings.format === 'pretty') {
    // In-process and synchronous (pino-pretty's transport runs in a worker thread, out of reach of
    // the same capture): development only, so its cost per line does not matter.
    const pretty = prettyFactory({
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,app,instance,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
      singleLine: true,
    });
    return { write: (line: string) => void process.stdout.write(pretty(line)) };
  }
  return { write: (line: string) => void process.stdout.write(line) };
}

/** The pino logger of a process: JSON lines (or pino-pretty) on stdout, each with the app name and instance. */
export function createRootLogger(app: string, instance: number, settings: LogSettings): PinoRoot {
  return pino(
    {
      level: settings.level,
      base: { app, instance, pid: process.pid, hostname: os.hostname() },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: stdSerializers.err },
    },
    stdoutDestination(settings),
  );
}

/**
 * nestjs-pino's parameters: Nest's logger writes through `root`. No pino-http middleware
 * (`forRoutes: []`): the access log is RequestObserverMiddleware's, which costs a fraction of
 * pino-http's two child loggers and three listeners per request on the token API's hot path.
 */
export function loggerParams(root: PinoRoot): Params {
  return { pinoHttp: { logger: root }, forRoutes: [] };
}

/**
 * The Nest logger of a process before its Nest app exists (configuration errors, waiting for
 * Redis), writing as the app will: every line is JSON.
 */
export function createProcessLogger(app: string, instance = 0, settings: LogSettings = DEFAULT_LOG_SETTINGS): LoggerService {
  const params = loggerParams(createRootLogger(app, instance, settings));
  return new NestPinoLogger(new PinoLogger(params), params);
}

/** Routes the app's Nest logger (and the lines buffered while it started) through nestjs-pino. */
export function useProcessLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(NestPinoLogger));
}
