import { type CanActivate, createParamDecorator, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError } from '@flow-oauth/http-common';
import { publicBasePath, SeeOther } from '@flow-oauth/web-pages';
import type { NextFunction, Request, Response } from 'express';
import { BrowserSignIn, type PageSession } from './browser-sign-in';

type SessionRequest = Request & { pageSession?: PageSession };

/**
 * Admin pages' guard: the request must carry the administrator's browser session (signed in on
 * `/admin` with the admin key). Without one a page GET is sent to the sign-in form on `/admin`
 * (with PageErrorFilter on the controller; 303), anything else is refused (401). A Nest guard for
 * page controllers (`@Public() @UseGuards(AdminBrowserSession)`, the session then in
 * `@CurrentPageSession()`), and Express middleware for what is mounted outside Nest (`middleware()`).
 */
@Injectable()
export class AdminBrowserSession implements CanActivate {
  /** Where the admin signs in. */
  readonly signInPath: string;

  constructor(
    private readonly signIn: BrowserSignIn,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.signInPath = `${publicBasePath(config.publicUrl)}/admin`;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<SessionRequest>();
    const session = await this.adminSession(req);
    if (session) return true;
    if (req.method === 'GET' || req.method === 'HEAD') throw new SeeOther(this.signInPath);
    throw adminSessionRequired();
  }

  /** The same check as Express middleware (for routers mounted with `app.use`, such as a dashboard). */
  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      this.adminSession(req as SessionRequest).then(
        (session) => {
          if (session) return next();
          if (req.method === 'GET' || req.method === 'HEAD') return res.status(303).set('cache-control', 'no-store').location(this.signInPath).end();
          const error = adminSessionRequired();
          return res.status(error.getStatus()).json(error.getResponse());
        },
        (error: unknown) => next(error),
      );
    };
  }

  private async adminSession(req: SessionRequest): Promise<PageSession | undefined> {
    const session = await this.signIn.current(req);
    if (session?.principal.kind !== 'admin') return undefined;
    req.pageSession = session;
    return session;
  }
}

function adminSessionRequired(): ApiError {
  return new ApiError(401, 'admin_session_required', 'Sign in on the admin page with the admin key first.');
}

/** The checked browser session a page guard (AdminBrowserSession) attached to the request. */
export const CurrentPageSession = createParamDecorator((_: unknown, ctx: ExecutionContext): PageSession => {
  const req = ctx.switchToHttp().getRequest<SessionRequest>();
  if (!req.pageSession) throw new Error('CurrentPageSession used on a route without a page-session guard');
  return req.pageSession;
});
