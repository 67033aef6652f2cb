import { HttpException } from '@nestjs/common';

/** An error answer in the API's shape: `{ "error": "<code>", "message": "...", ...extra }`. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super({ error: code, message, ...extra }, status);
  }
}

/** 400 invalid_request. */
export const badRequest = (message: string, extra?: Record<string, unknown>) => new ApiError(400, 'invalid_request', message, extra);
/** 404 not_found. */
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
/** 409 conflict with a specific code. */
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) => new ApiError(409, code, message, extra);
