import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { type BrowserCookie, publicBasePath } from '@flow-oauth/web-pages';
import { STATE_TTL_SECONDS } from './authorization-state.store';

/** The start link's path (`authorizeUrl` of POST /api/connectors/authorizations), below FLOW_PUBLIC_URL. */
export const SIGN_IN_START_PATH = '/Thingworx/Oauths/oauth/start';

/** Every sign-in cookie is scoped to the OAuth pages: /oauth/start sets them, /oauth/return reads them. */
const COOKIE_PATH = '/Thingworx/Oauths/oauth';

/** Double-submit CSRF cookie of the confirmation form. */
export const CSRF_COOKIE = 'flow_csrf';

const RANDOM_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A new 256-bit random token (nonce, CSRF token), base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time equality of two strings (a different length is simply unequal). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The cookies of the sign-in pages. The binding cookie is per sign-in, named after the state's hash,
 * so several sign-ins in one browser each keep their own; SameSite=Lax, because the provider's
 * redirect back to the return page is a cross-site top-level GET that must carry it.
 */
@Injectable()
export class SignInCookies {
  readonly basePath: string;
  private readonly path: string;
  private readonly secure: boolean;

  constructor(@Inject(FLOW_CONFIG) config: FlowConfig) {
    this.basePath = publicBasePath(config.publicUrl);
    this.path = `${this.basePath}${COOKIE_PATH}`;
    this.secure = new URL(config.publicUrl).protocol === 'https:';
  }

  /** `flow_signin_<first 16 hex of sha256(state)>`. */
  static bindingName(stateHash: string): string {
    return `flow_signin_${stateHash.slice(0, 16)}`;
  }

  /** The nonce a request's binding cookie for a state carries, if it carries one. */
  static bindingNonce(cookies: Record<string, unknown> | undefined, stateHash: string): string | undefined {
    const value = cookies?.[SignInCookies.bindingName(stateHash)];
    return typeof value === 'string' && RANDOM_TOKEN.test(value) ? value : undefined;
  }

  /** The CSRF token of a request's cookie, if it is a well-formed one. */
  static csrfToken(cookies: Record<string, unknown> | undefined): string | undefined {
    const value = cookies?.[CSRF_COOKIE];
    return typeof value === 'string' && RANDOM_TOKEN.test(value) ? value : undefined;
  }

  /** Binds this browser to a sign-in until the state expires. */
  binding(stateHash: string, nonce: string, expiresAt: Date): BrowserCookie {
    return { name: SignInCookies.bindingName(stateHash), value: nonce, path: this.path, sameSite: 'lax', secure: this.secure, maxAgeMs: expiresAt.getTime() - Date.now() };
  }

  /** Removes a binding cookie once its sign-in is over. */
  clearBinding(stateHash: string): BrowserCookie {
    return { name: SignInCookies.bindingName(stateHash), value: '', path: this.path, sameSite: 'lax', secure: this.secure, maxAgeMs: 0 };
  }

  /** The confirmation form's CSRF cookie; Strict, as only Flow's own page posts the form. */
  csrf(token: string): BrowserCookie {
    return { name: CSRF_COOKIE, value: token, path: this.path, sameSite: 'strict', secure: this.secure, maxAgeMs: STATE_TTL_SECONDS * 1000 };
  }
}
