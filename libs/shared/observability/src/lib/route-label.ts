import type { IncomingMessage } from 'node:http';

/** The label of requests no route matched (404s, probes): one series, whatever the URL was. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Nest mounts middleware (ours, nestjs-pino's) as Express routes on a catch-all path such as
 * `{/*splat}`; a request that reaches no handler keeps that middleware route as `req.route`.
 */
const CATCH_ALL = /^\/?\{?\/?\*\w*\}?$/;

/** What Express leaves on a request once it has been routed. */
interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
  originalUrl?: string;
}

/**
 * The route PATTERN that served a request (`/api/connectors/:id/token`), never the raw URL: ids and
 * query strings would make one metric series per connector and put `code` / `state` in logs. Read
 * when the response finishes, after Express routed the request. A router mounted with `app.use`
 * (a dashboard) shows as its mount path plus `/*`; anything else is `unmatched`.
 */
export function routeLabel(req: IncomingMessage): string {
  const routed = req as RoutedRequest;
  const pattern = routed.route?.path;
  if (typeof pattern === 'string' && !CATCH_ALL.test(pattern)) return `${routed.baseUrl ?? ''}${pattern}` || '/';
  if (routed.baseUrl) return `${routed.baseUrl}/*`;
  return UNMATCHED_ROUTE;
}

/** The request's path without its query string (which may carry `code`, `state` or an id), at most 200 characters. */
export function pathWithoutQuery(req: IncomingMessage): string {
  const url = (req as RoutedRequest).originalUrl ?? req.url ?? '';
  const end = url.search(/[?#]/);
  return (end === -1 ? url : url.slice(0, end)).slice(0, 200);
}
