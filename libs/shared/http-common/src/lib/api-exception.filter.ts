import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { isDependencyError } from './dependency-errors';


/** Turns every error into the API's JSON error shape; unexpected errors never leak their details. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      response.status(status).json(normalise(status, body));
      return;
    }
    if (isDependencyError(exception)) {
      this.logger.error(`dependency unavailable: ${exception instanceof Error ? exception.name : 'Error'}`);
      response.status(HttpStatus.SERVICE_UNAVAILABLE).json({ error: 'dependency_unavailable', message: 'A dependency (database or Redis) is not answering; try again shortly.' });
      return;
    }
    // Log the class and stack only: third-party messages could quote input values.
    this.logger.error(`unhandled ${exception instanceof Error ? exception.name : typeof exception}`, exception instanceof Error ? exception.stack?.split('\n').slice(1, 6).join('\n') : undefined);
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ error: 'internal_error', message: 'Internal error.' });
  }
}

const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'dependency_unavailable',
};

function normalise(status: number, body: string | object): Record<string, unknown> {
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' && 'message' in body) {
    const b = body as { error: string; message: unknown };
    // Nest's own exceptions put the HTTP reason in `error`; ours put a code. Keep codes, map reasons.
    if (/^[a-z_]+$/.test(b.error)) return body as Record<string, unknown>;
    return { ...(body as Record<string, unknown>), error: CODES[status] ?? 'error', message: String(Array.isArray(b.message) ? b.message.join('; ') : b.message) };
  }
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  return { error: CODES[status] ?? 'error', message: String(message ?? 'Error') };
}
