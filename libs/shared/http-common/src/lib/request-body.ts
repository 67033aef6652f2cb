import type { Request } from 'express';
import { ApiError } from './api-error';

export interface ReadBodyOptions {
  limitBytes: number;
  /** The environment variable that sets `limitBytes`, named in the 413 answer; left out for a fixed limit. */
  limitVariable?: string;
}

/**
 * Deepest nesting of a JSON request body. JSON.parse itself does not recurse, but every walk over
 * the value does: 10,000 levels (60 KB) would overflow the stack there. Real bodies nest a few levels.
 */
export const MAX_JSON_DEPTH = 64;

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
  if (Number.isFinite(declared) && declared > options.limitBytes) throw tooLarge(options);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.limitBytes) {
      // The rest of the body is not read: the connection cannot carry another request after it.
      req.res?.setHeader('connection', 'close');
      throw tooLarge(options);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a small JSON request object (not a configuration file); `__proto__`-style keys and nesting beyond MAX_JSON_DEPTH are refused. */
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
  assertNoPrototypeKeys(value, '', 1);
  return value as Record<string, unknown>;
}

function assertNoPrototypeKeys(value: unknown, path: string, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_JSON_DEPTH) {
    throw new ApiError(400, 'invalid_request', `Body is nested more than ${MAX_JSON_DEPTH} levels deep (at ${shorten(path)}).`);
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new ApiError(400, 'invalid_request', `Key "${key}" is not allowed (at ${shorten(path) || '/'}).`);
    }
    assertNoPrototypeKeys((value as Record<string, unknown>)[key], `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
  }
}

/** A JSON pointer short enough for a message (its end is where the problem is). */
function shorten(path: string): string {
  return path.length > 200 ? `...${path.slice(-200)}` : path;
}

function tooLarge(options: ReadBodyOptions): ApiError {
  const limit = options.limitBytes;
  const size = limit % 1024 === 0 ? ` (${limit / 1024} KiB)` : '';
  const setBy = options.limitVariable ? `; ${options.limitVariable} sets it` : '; the limit is fixed';
  return new ApiError(413, 'payload_too_large', `Body is larger than ${limit} bytes${size}, the most this route accepts${setBy}.`, { limit });
}
