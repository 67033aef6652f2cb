import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { readFormFields } from '@flow-oauth/http-common';
import { escapeHtml, type PageAnswer, publicBasePath } from '@flow-oauth/web-pages';
import type { Request } from 'express';
import { BrowserSignIn, type PageSession } from './browser-sign-in';
import { renderSignInPage, type SignInTarget } from './sign-in-page';

const FORM_LIMIT_BYTES = 4096;

/** Where the pages' sign-in and sign-out forms post, below FLOW_PUBLIC_URL. */
export const SIGN_IN_PATH = '/sign-in';
export const SIGN_OUT_PATH = '/sign-out';

/**
 * The pages' sign-in and sign-out as page answers: the form (with its CSRF cookie), the posted
 * form (on success to the principal's page, else the form again with the API's error for that key),
 * and signing out (CSRF-checked: a link elsewhere cannot sign a browser out).
 */
@Injectable()
export class SignInPages {
  private readonly basePath: string;

  constructor(
    private readonly signIn: BrowserSignIn,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.basePath = publicBasePath(config.publicUrl);
  }

  /** The sign-in page of the connectors page (`user`) or the admin page (`admin`). */
  form(req: Request, expects: SignInTarget, status = 200, problem?: { error: string; message: string }, headers?: Record<string, string>): PageAnswer {
    const { csrfToken, cookies } = this.signIn.signInForm(req);
    const html = renderSignInPage({ action: `${this.basePath}${SIGN_IN_PATH}`, csrfToken, expects, problem, basePath: this.basePath });
    return { kind: 'page', status, html, formAction: ["'self'"], cookies, headers };
  }

  /** The posted sign-in form. */
  async submit(req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    const expects: SignInTarget = fields['page'] === 'admin' ? 'admin' : 'user';
    const result = await this.signIn.signIn(req, fields);
    if (!result.ok) {
      const headers = result.retryAfterSeconds ? { 'retry-after': String(result.retryAfterSeconds) } : undefined;
      return this.form(req, expects, result.status, { error: result.error, message: result.message }, headers);
    }
    return { kind: 'redirect', location: `${this.basePath}${result.principal.kind === 'admin' ? '/admin' : '/'}`, cookies: result.cookies };
  }

  /** The posted sign-out form: ends the session, back to the page it came from. */
  async signOut(req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    const session = await this.signIn.current(req);
    const back = `${this.basePath}${fields['page'] === 'admin' ? '/admin' : '/'}`;
    if (!session) return { kind: 'redirect', location: back };
    if (!this.signIn.checkCsrf(session, fields['csrf_token'])) {
      return this.form(req, fields['page'] === 'admin' ? 'admin' : 'user', 403, { error: 'invalid_form', message: 'The sign-out form did not come from a Flow page; you are still signed in.' });
    }
    return { kind: 'redirect', location: back, cookies: await this.signIn.signOut(session) };
  }

  /** The page header of a signed-in page: who, and the sign-out button (a CSRF-protected form). */
  header(session: PageSession, page: SignInTarget, links: string): string {
    const who = session.principal.kind === 'admin' ? 'the administrator' : session.principal.name;
    return (
      `<header class="bar"><nav class="sections">${links}</nav>` +
      `<div>Signed in as <strong id="signed-in-as">${escapeHtml(who)}</strong> ` +
      `<form method="post" action="${escapeHtml(`${this.basePath}${SIGN_OUT_PATH}`)}" class="inline">` +
      `<input type="hidden" name="csrf_token" value="${escapeHtml(session.csrfToken)}"><input type="hidden" name="page" value="${page}">` +
      `<button type="submit" class="secondary small">Sign out</button></form></div></header>`
    );
  }
}
