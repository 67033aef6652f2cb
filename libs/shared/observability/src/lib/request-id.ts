import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What an incoming X-Request-Id may look like to be kept: a UUID, a trace id, a short token. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the caller's `X-Request-Id` when it is sane (so a proxy's or a workflow
 * engine's id ties their logs to ours), else a new UUID; sent back as `X-Request-Id` either way.
 * An id that repeats the caller's API key (a client that put the wrong header in the wrong place)
 * is replaced, so the access log never carries a key.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const candidate = typeof incoming === 'string' ? incoming.trim() : undefined;
  const id = candidate && SANE_REQUEST_ID.test(candidate) && !repeatsACredential(req, candidate) ? candidate : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

function repeatsACredential(req: IncomingMessage, id: string): boolean {
  const credentials = [req.headers['appkey'], req.headers['authorization'], req.headers['cookie']];
  return credentials.some((value) => typeof value === 'string' && value.includes(id));
}
