import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { type BrowserCookie, publicBasePath, requestCookies } from '@flow-oauth/web-pages';
import type { Request } from 'express';
import { AuthFailureLimiter, clientAddressKey } from './auth-failure-limiter';
import { BROWSER_SESSION_TTL_SECONDS, BrowserSessions, FLOW_SESSION_COOKIE } from './browser-sessions';
import { KeyIdentifier } from './key-identifier';

/** Who a page session belongs to. */
export type PagePrincipal = { kind: 'admin' } | { kind: 'user'; name: string };

/** A live, checked browser session: who, and the token its forms must carry. */
export interface PageSession {
  principal: PagePrincipal;
  sessionId: string;
  /** Session-bound CSRF token: every state-changing form carries it in a hidden field. */
  csrfToken: string;
}

/** How a sign-in attempt ended; a refusal carries the API's error code and message for the same key. */
export type SignInResult =
  | { ok: true; principal: PagePrincipal; cookies: BrowserCookie[] }
  | { ok: false; status: number; error: string; message: string; retryAfterSeconds?: number };

/** Double-submit cookie of the sign-in form (there is no session yet to bind a token to). */
export const SIGN_IN_CSRF_COOKIE = 'flow_form_csrf';
const RANDOM_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const SIGN_IN_FORM_TTL_MS = 3600 * 1000;
/** A key is at most a few hundred characters; anything longer is not one (and is not hashed). */
const MAX_KEY_LENGTH = 512;

type CookieRequest = Request & { cookies?: Record<string, unknown> };

/**
 * Signing in to the pages with a key: the key is checked as the API checks it (KeyIdentifier), a
 * wrong one counts in the same failed-authentication throttle (AuthFailureLimiter) from the same
 * client address, and success opens a browser session (HttpOnly `flow_session` cookie) bound to the
 * principal and to that key: revoking the key ends the session at its next request. The key itself is
 * never stored, put in a URL, or sent back in a page.
 */
@Injectable()
export class BrowserSignIn {
  private readonly logger = new Logger('BrowserSignIn');
  private readonly cookiePath: string;
  private readonly secure: boolean;

  constructor(
    private readonly sessions: BrowserSessions,
    private readonly keys: KeyIdentifier,
    private readonly failures: AuthFailureLimiter,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.cookiePath = publicBasePath(config.publicUrl) || '/';
    this.secure = new URL(config.publicUrl).protocol === 'https:';
  }

  /** The CSRF token a sign-in form carries, and the cookie that pairs with it (reused while the browser has one). */
  signInForm(req: CookieRequest): { csrfToken: string; cookies: BrowserCookie[] } {
    const existing = requestCookies(req)[SIGN_IN_CSRF_COOKIE];
    const csrfToken = typeof existing === 'string' && RANDOM_TOKEN.test(existing) ? existing : randomBytes(32).toString('base64url');
    // Strict: only Flow's own sign-in form posts it.
    return { csrfToken, cookies: [{ name: SIGN_IN_CSRF_COOKIE, value: csrfToken, path: this.cookiePath, sameSite: 'strict', secure: this.secure, maxAgeMs: SIGN_IN_FORM_TTL_MS }] };
  }

  /** Checks the posted sign-in form and the key in it; opens a session for a user or the administrator. */
  async signIn(req: CookieRequest, fields: Record<string, string>): Promise<SignInResult> {
    const cookieToken = requestCookies(req)[SIGN_IN_CSRF_COOKIE];
    if (typeof cookieToken !== 'string' || !RANDOM_TOKEN.test(cookieToken) || !safeEqual(cookieToken, fields['csrf_token'] ?? '')) {
      return refusal(403, 'invalid_form', 'The sign-in form has expired or did not come from its page. Reload the page and sign in again.');
    }
    const key = (fields['key'] ?? '').trim();
    // No key is not a guess (as for the API): answered, never counted.
    if (!key) return refusal(401, 'unauthorized', 'A key is required: paste your user key (or the admin key on the admin page).');
    const address = clientAddressKey(req.ip);
    // A blocked address is refused before its key is looked at, as the API does.
    const wait = this.failures.blockedFor(address);
    if (wait !== undefined) return tooMany(wait);
    const principal = key.length > MAX_KEY_LENGTH ? undefined : await this.keys.identify(key);
    if (!principal) {
      const verdict = await this.failures.recordFailure(address);
      if (verdict.blocked) return tooMany(verdict.retryAfterSeconds);
      return refusal(401, 'unauthorized', 'The API key is not valid.');
    }
    if (principal.kind === 'service') {
      return refusal(403, 'forbidden', 'The service key is for workflow engines; sign in with a user key, or with the admin key on the admin page.');
    }
    const keyHash = await this.keys.currentKeyHash(principal);
    if (!keyHash) return refusal(401, 'unauthorized', 'The API key is not valid.');
    const { id } = await this.sessions.create({ kind: principal.kind, name: principal.kind === 'user' ? principal.name : 'admin' }, keyHash);
    this.logger.log(`browser signed in as ${principal.kind === 'user' ? `user ${principal.name}` : 'the administrator'}`);
    return { ok: true, principal, cookies: [this.sessionCookie(id, BROWSER_SESSION_TTL_SECONDS * 1000), this.clearSignInForm()] };
  }

  /** The request's session, if it has a live one whose key is still valid (a revoked key's session is ended here). */
  async current(req: CookieRequest): Promise<PageSession | undefined> {
    const id = requestCookies(req)[FLOW_SESSION_COOKIE];
    if (!BrowserSessions.isSessionId(id)) return undefined;
    const record = await this.sessions.read(id);
    if (!record) return undefined;
    const principal: PagePrincipal = record.kind === 'admin' ? { kind: 'admin' } : { kind: 'user', name: record.name };
    const keyHash = await this.keys.currentKeyHash(principal);
    if (!keyHash || !safeEqual(BrowserSessions.keyCheck(id, keyHash), record.keyCheck)) {
      await this.sessions.destroy(id);
      return undefined;
    }
    return { principal, sessionId: id, csrfToken: csrfTokenOf(id) };
  }

  /** Whether a posted form carries its session's CSRF token. */
  checkCsrf(session: PageSession, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(session.csrfToken, token);
  }

  /** Ends the session and clears its cookie. */
  async signOut(session: PageSession): Promise<BrowserCookie[]> {
    await this.sessions.destroy(session.sessionId);
    return [this.sessionCookie('', 0)];
  }

  /**
   * SameSite=Lax, not Strict: a person who follows a link to Flow from elsewhere (a workflow tool
   * opening a start link, a bookmark in a mail) arrives signed in, and the start link sees the owner's
   * session. Cross-site POSTs never carry it, and every form also carries the session's CSRF token.
   */
  private sessionCookie(value: string, maxAgeMs: number): BrowserCookie {
    return { name: FLOW_SESSION_COOKIE, value, path: this.cookiePath, sameSite: 'lax', secure: this.secure, maxAgeMs };
  }

  private clearSignInForm(): BrowserCookie {
    return { name: SIGN_IN_CSRF_COOKIE, value: '', path: this.cookiePath, sameSite: 'strict', secure: this.secure, maxAgeMs: 0 };
  }
}

/** The CSRF token of a session: an HMAC keyed by the session id (which only the browser's HttpOnly cookie holds). */
function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('flow-page-forms').digest('base64url');
}

function refusal(status: number, error: string, message: string): SignInResult {
  return { ok: false, status, error, message };
}

function tooMany(seconds: number): SignInResult {
  return { ok: false, status: 429, error: 'too_many_requests', message: `Too many requests with a wrong API key from this address; try again in ${seconds} s.`, retryAfterSeconds: seconds };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
