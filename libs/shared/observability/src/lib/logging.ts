import type { IncomingMessage, ServerResponse } from 'node:http';
import * as os from 'node:os';
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import type { LogSettings } from '@flow-oauth/config';
import { Logger as NestPinoLogger, type Params, PinoLogger } from 'nestjs-pino';
import { type DestinationStream, type LevelWithSilent, stdSerializers, stdTimeFunctions } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { assignRequestId } from './request-id';
import { pathWithoutQuery, routeLabel } from './route-label';

export const DEFAULT_LOG_SETTINGS: LogSettings = { level: 'info', format: 'json' };

/** Scrapes and probes, logged at debug when they succeed: at info they would be most of the log. */
const QUIET_ROUTES = new Set(['/health', '/metrics']);

/**
 * Credentials, should a request or headers object ever be logged. The access log logs none of them
 * (it builds its own fields below); this guards any other log call that passes headers.
 */
const REDACTED_PATHS = [
  'req.headers.appkey',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.appkey',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
];

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

/** The access log line's fields: never a header, a body or a query string. */
function accessFields(req: IncomingMessage, res: ServerResponse, responseTime: unknown) {
  return { method: req.method, route: routeLabel(req), path: pathWithoutQuery(req), statusCode: res.statusCode, responseTime };
}

function accessLogLevel(req: IncomingMessage, res: ServerResponse, error?: Error): LevelWithSilent {
  if (error || res.statusCode >= 500) return 'error';
  if (res.statusCode < 400 && QUIET_ROUTES.has(routeLabel(req))) return 'debug';
  return 'info';
}

function accessMessage(req: IncomingMessage, res: ServerResponse): string {
  return `${res.writableEnded ? '' : 'aborted '}${req.method} ${routeLabel(req)} ${res.statusCode}`;
}

/**
 * nestjs-pino's parameters for one process: JSON lines (or pino-pretty) on stdout, carrying the app
 * name; an access log line per request (method, route pattern, path without query, status,
 * duration in ms, request id); app log lines made while serving a request carry its `reqId`.
 */
export function loggerParams(app: string, instance: number, settings: LogSettings): Params {
  return {
    pinoHttp: [
      {
        level: settings.level,
        base: { app, instance, pid: process.pid, hostname: os.hostname() },
        timestamp: stdTimeFunctions.isoTime,
        formatters: { level: (label: string) => ({ level: label }) },
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        serializers: { err: stdSerializers.err },
        wrapSerializers: false,
        genReqId: assignRequestId,
        // Bind only the request id to the request's loggers; the access line is built at the end.
        quietReqLogger: true,
        quietResLogger: true,
        customLogLevel: accessLogLevel,
        customSuccessMessage: accessMessage,
        customErrorMessage: accessMessage,
        customSuccessObject: (req, res, value) => accessFields(req, res, (value as { responseTime?: number }).responseTime),
        customErrorObject: (req, res, _error, value) => accessFields(req, res, (value as { responseTime?: number }).responseTime),
      },
      stdoutDestination(settings),
    ],
  };
}

/**
 * The Nest logger of a process before its Nest app exists (configuration errors, waiting for
 * Redis), writing through the same pino instance the app will use: every line is JSON.
 */
export function createProcessLogger(app: string, instance = 0, settings: LogSettings = DEFAULT_LOG_SETTINGS): LoggerService {
  const params = loggerParams(app, instance, settings);
  return new NestPinoLogger(new PinoLogger(params), params);
}

/** Routes the app's Nest logger (and the lines buffered while it started) through nestjs-pino. */
export function useProcessLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(NestPinoLogger));
}
