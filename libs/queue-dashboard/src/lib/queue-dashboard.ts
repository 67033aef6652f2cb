import type { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { AdminBrowserSession } from '@flow-oauth/api-auth';
import type { FlowConfig } from '@flow-oauth/config';
import { ApiError } from '@flow-oauth/http-common';
import { QueueName } from '@flow-oauth/queue-contracts';
import { publicBasePath } from '@flow-oauth/web-pages';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';

/** Where the dashboard is mounted (under FLOW_PUBLIC_URL's path). */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** The product's work queues the dashboard lists (the event transport's queues belong to the messaging lib). */
export const DASHBOARD_QUEUES: readonly QueueName[] = [QueueName.WebhookDelivery];

/**
 * The dashboard's own Content-Security-Policy, in place of the strict one of every other page.
 * bull-board's UI is a React bundle served from its own package (`@bull-board/ui/dist/static`, this
 * origin; no CDN): it needs `script-src 'self'` (the strict policy allows no script at all),
 * `connect-src 'self'` for its JSON API, `img-src 'self' data:` for its icons, and `base-uri 'self'`
 * for the `<base href>` its page resolves its assets against. Its stylesheet is a file too, plus one
 * inline <style> allowed by its hash (below). Its page's Google Fonts link and inline-styled placeholder
 * are taken out of the page (withoutInternetAssets). Still no framing, and forms only to this origin.
 */
/**
 * The one inline <style> bull-board's UI draws: the colours of the Redis logo in its page (an SVG with
 * its own <style>, fill colours only). Allowed by its hash (of @bull-board/ui 9.10.1, pinned), not by
 * 'unsafe-inline': the browser suite fails on any other inline style.
 */
const REDIS_LOGO_STYLE_HASH = 'sha256-r2N1TB/gHbBtBZFKg7ejmq1acVSREzucTAEw6ga4hoU=';

export const QUEUE_DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' '${REDIS_LOGO_STYLE_HASH}'`,
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Mounts bull-board at `/admin/queues` on flow-oauth-server, behind the admin's browser session
 * (AdminBrowserSession: a GET without it goes to the sign-in form on `/admin`, anything else is 401),
 * listing the token-refresh and webhook-delivery queues of this deployment (their Redis prefix included).
 */
export function mountQueueDashboard(app: INestApplication, config: FlowConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(`${publicBasePath(config.publicUrl)}${QUEUE_DASHBOARD_PATH}`);
  const queues = DASHBOARD_QUEUES.map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name), { strict: false }), { displayName: name }));
  createBullBoard({ queues, serverAdapter, options: { uiConfig: { boardTitle: 'Flow OAuth queues' } } });
  const router = serverAdapter.getRouter() as RenderingApp;
  withoutInternetAssets(router);
  const policy = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('content-security-policy', QUEUE_DASHBOARD_CSP);
    res.setHeader('cache-control', 'no-store');
    next();
  };
  app.use(QUEUE_DASHBOARD_PATH, policy, app.get(AdminBrowserSession).middleware(), sameOriginChanges(new URL(config.publicUrl).origin), router);
}

/**
 * bull-board's changes (retry, clean, pause, add a job...) are PUT, PATCH and POST calls of its own
 * script, which browsers send with an Origin header. The session cookie is SameSite=Lax, which keeps
 * other sites' forms out but not another port of the same host (same site): a change must come from
 * Flow's own origin, else 403 and nothing happens. Reads (GET, HEAD) are unaffected.
 */
function sameOriginChanges(origin: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.headers.origin === origin) return next();
    const error = new ApiError(403, 'cross_origin_request', `Changes on the queue dashboard are accepted from its own page (${origin}) only; nothing was done.`);
    res.status(403).json(error.getResponse());
  };
}

type RenderCallback = (error: Error | null, html?: string) => void;
type RenderEngine = (file: string, options: object, callback: RenderCallback) => void;
/** The Express sub-app bull-board's adapter renders its page with (its `ejs` view engine). */
interface RenderingApp {
  engines: Record<string, RenderEngine | undefined>;
  engine(ext: string, engine: RenderEngine): unknown;
}

/** A stylesheet link to a web font service in bull-board's page. */
const INTERNET_STYLESHEET = /<link href="https:\/\/fonts\.googleapis\.com\/[^"]*" rel="stylesheet">/g;
/** The "Loading" placeholder of bull-board's page: inline styles only (the CSP refuses them), replaced by the app at once. */
const INLINE_STYLED_PLACEHOLDER = /<div id="root">[\s\S]*?<\/style>\s*<\/div>/;

/**
 * bull-board's page links Google Fonts and holds an inline-styled placeholder, and it has no option to
 * leave them out: its page is rendered through the engine it registered, wrapped here to drop both
 * (the CSP would block them anyway, but the browser would still try the internet on every visit, and
 * report each refusal). The system font is used instead.
 */
function withoutInternetAssets(router: RenderingApp): void {
  const render = router.engines['.ejs'];
  if (!render) throw new Error('bull-board no longer renders its page with ejs: check withoutInternetAssets');
  router.engine('ejs', (file, options, callback) => render(file, options, (error, html) => callback(error, error ? undefined : html?.replace(INTERNET_STYLESHEET, '').replace(INLINE_STYLED_PLACEHOLDER, '<div id="root"></div>'))));
}
