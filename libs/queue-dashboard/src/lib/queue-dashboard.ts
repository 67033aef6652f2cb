import type { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { AdminBrowserSession } from '@flow-oauth/api-auth';
import type { FlowConfig } from '@flow-oauth/config';
import { QueueName } from '@flow-oauth/queue-contracts';
import { publicBasePath } from '@flow-oauth/web-pages';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';

/** Where the dashboard is mounted (under FLOW_PUBLIC_URL's path). */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** The product's work queues the dashboard lists (the event transport's queues belong to the messaging lib). */
export const DASHBOARD_QUEUES: readonly QueueName[] = [QueueName.TokenRefresh, QueueName.WebhookDelivery];

/**
 * The dashboard's own Content-Security-Policy, in place of the strict one of every other page.
 * bull-board's UI is a React bundle served from its own package (`@bull-board/ui/dist/static`, this
 * origin; no CDN): it needs `script-src 'self'` (the strict policy allows no script at all),
 * `connect-src 'self'` for its JSON API, `img-src 'self' data:` for its icons, and `base-uri 'self'`
 * for the `<base href>` its page resolves its assets against. Its stylesheet is a file too; the
 * inline `style` of its loading placeholder is left blocked (the placeholder shows unstyled for a
 * moment). Its page links a Google Fonts stylesheet: not allowed, so nothing is fetched from the
 * internet and the system font is used. Still no framing, and forms only to this origin.
 */
export const QUEUE_DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
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
  const policy = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('content-security-policy', QUEUE_DASHBOARD_CSP);
    res.setHeader('cache-control', 'no-store');
    next();
  };
  app.use(QUEUE_DASHBOARD_PATH, policy, app.get(AdminBrowserSession).middleware(), serverAdapter.getRouter());
}
