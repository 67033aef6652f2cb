import type { Request, Response } from 'express';
import cookieParser from 'cookie-parser';
import { type BrowserCookie, setBrowserCookies } from './browser-cookies';
import { htmlPageHeaders } from './content-security-policy';

/** What a page route answers: a page (with where its forms may lead), a redirect, or a file to download; and cookies. */
export type PageAnswer =
  | { kind: 'page'; status: number; html: string; formAction?: string[]; cookies?: BrowserCookie[]; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string; cookies?: BrowserCookie[] }
  | { kind: 'download'; fileName: string; contentType: string; body: string };

/** Sends a page answer with the pages' headers (strict CSP, widened form-action only where the page has forms). */
export function sendPage(res: Response, answer: PageAnswer): void {
  if (answer.kind === 'download') {
    res
      .status(200)
      .set({ ...htmlPageHeaders(), 'content-type': answer.contentType, 'content-disposition': `attachment; filename="${answer.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"` })
      .send(answer.body);
    return;
  }
  setBrowserCookies(res, answer.cookies ?? []);
  if (answer.kind === 'redirect') {
    // 303: after a form post the browser follows with a GET.
    res.status(303).set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).location(answer.location).end();
    return;
  }
  res.status(answer.status).set({ ...htmlPageHeaders({ formAction: answer.formAction }), ...answer.headers }).send(answer.html);
}

const parseCookies = cookieParser();

/**
 * The request's cookies, parsed on first use: the apps mount cookie-parser only where the sign-in
 * pages need it (the token API is not slowed by parsing cookies), so a page route parses its own.
 */
export function requestCookies(req: Request & { cookies?: Record<string, unknown> }): Record<string, unknown> {
  if (req.cookies === undefined) parseCookies(req, req.res as Response, () => undefined);
  return req.cookies ?? {};
}
