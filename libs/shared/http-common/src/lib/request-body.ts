import type { Request } from 'express';
import { ApiError } from './api-error';

export interface ReadBodyOptions {
  limitBytes: number;
}

/**
 * Reads a request body as text, refusing anything but JSON (415) and anything over the limit (413)
 * before it is buffered whole. Apps turn Nest's body parser off so the raw text reaches here.
 */
export async function readJsonText(req: Request, options: ReadBodyOptions): Promise<string> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `Content-Type must be application/json (got ${type ? JSON.stringify(type.slice(0, 60)) : 'none'}).`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.limitBytes) throw tooLarge(options.limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.limitBytes) {
      // The rest of the body is not read: the connection cannot carry another request after it.
      req.res?.setHeader('connection', 'close');
      throw tooLarge(options.limitBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a small JSON request object (not a configuration file); `__proto__`-style keys are refused. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'invalid_request', `Body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_request', 'Body must be a JSON object.');
  }
  assertNoPrototypeKeys(value, '');
  return value as Record<string, unknown>;
}

function assertNoPrototypeKeys(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new ApiError(400, 'invalid_request', `Key "${key}" is not allowed (at ${path || '/'}).`);
    }
    assertNoPrototypeKeys((value as Record<string, unknown>)[key], `${path}/${key}`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'payload_too_large', `Body is larger than the limit of ${limit} bytes (FLOW_MAX_CONFIG_BYTES).`, { limit });
}
