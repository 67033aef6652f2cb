import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { isDependencyError } from '@flow-oauth/http-common';
import type { Request, Response } from 'express';
import { htmlPageHeaders } from './content-security-policy';
import { escapeHtml, publicBasePath, renderPage } from './page-layout';

/** Thrown by a page guard to send the browser elsewhere (the sign-in form): 303 See Other. */
export class SeeOther extends HttpException {
  constructor(readonly location: string) {
    super({ error: 'see_other', message: `See ${location}` }, 303);
  }
}

const TITLES: Record<number, string> = {
  400: 'Not accepted',
  401: 'Sign in first',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Not accepted',
  429: 'Too many attempts',
  503: 'Try again in a moment',
};

/**
 * The error answer of page routes: an HTML page (the API's JSON error shape would be a blank page
 * to a person), with the same status, code and message the API gives. Page controllers use it with
 * `@UseFilters(PageErrorFilter)`; `SeeOther` (from a page guard) becomes a 303.
 */
@Catch()
@Injectable()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PageErrorFilter');
  private readonly basePath: string;

  constructor(@Inject(FLOW_CONFIG) config: Pick<FlowConfig, 'publicUrl'>) {
    this.basePath = publicBasePath(config.publicUrl);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    if (res.headersSent) return;
    if (exception instanceof SeeOther) {
      res.status(303).set({ 'cache-control': 'no-store' }).location(exception.location).end();
      return;
    }
    let status = 500;
    let code = 'internal_error';
    let message = 'Something went wrong on the server; nothing was changed. Try again.';
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse() as { error?: unknown; message?: unknown } | string;
      code = typeof body === 'object' && typeof body.error === 'string' && /^[a-z_]+$/.test(body.error) ? body.error : `http_${status}`;
      message = typeof body === 'string' ? body : String(Array.isArray(body.message) ? body.message.join('; ') : (body.message ?? exception.message));
    } else if (isDependencyError(exception)) {
      status = 503;
      code = 'dependency_unavailable';
      message = 'Flow could not reach its database or Redis; try again in a moment.';
    } else {
      // The class only: a third-party message could quote input values.
      this.logger.error(`page ${req.method} ${req.path} failed: ${exception instanceof Error ? exception.name : typeof exception}`);
    }
    const back = `<p><a href="${escapeHtml(`${this.basePath}/`)}">Connectors page</a> · <a href="${escapeHtml(`${this.basePath}/admin`)}">Admin page</a></p>`;
    const html = renderPage({ title: TITLES[status] ?? 'Something went wrong', tone: 'fail', body: `<p>${escapeHtml(message)}</p><p><code>${escapeHtml(code)}</code></p>${back}`, basePath: this.basePath });
    res.status(status).set(htmlPageHeaders()).send(html);
  }
}
