import { Injectable, Logger } from '@nestjs/common';
import { BrowserSessions } from '@flow-oauth/api-auth';
import { ApiError, isDependencyError, readFormFields } from '@flow-oauth/http-common';
import type { BrowserCookie } from '@flow-oauth/web-pages';
import type { Request } from 'express';
import { AuthorizationStateStore, type PendingAuthorization } from './authorization-state.store';
import { ProviderRegistry } from './provider-registry';
import { sha256Hex, SignInBindingStore } from './sign-in-binding.store';
import { randomToken, safeEqual, SIGN_IN_START_PATH, SignInCookies } from './sign-in-cookies';
import { renderConfirmationPage, renderSignInProblemPage } from './sign-in-pages';

/** The confirmation form is two short fields; anything bigger is not it. */
const FORM_LIMIT_BYTES = 4096;

/**
 * Where the confirmation form may lead. Chromium checks `form-action` on every hop of the redirect
 * chain that follows a form post, up to the first page: here, and the provider's authorize URL
 * (the 303). Providers that redirect on to another origin of theirs before showing a page (Slack to
 * the workspace's subdomain, Salesforce to a My Domain host) need more, so any https target is
 * allowed too; the page itself has no script and nothing to exfiltrate.
 */
function formTargets(authorizeUrl: string): string[] {
  return ["'self'", authorizeUrl, 'https:'];
}

/** What a start route answers: a page (with the origins its form may lead to) or a redirect, and cookies. */
export type StartAnswer =
  | { kind: 'page'; status: number; html: string; formAction?: string[]; cookies: BrowserCookie[] }
  | { kind: 'redirect'; location: string; cookies: BrowserCookie[] };

/** A request as the start routes read it: parsed cookies (for the session and CSRF cookies) and the body stream. */
export type StartRequest = Request & { cookies?: Record<string, unknown> };

interface OpenStart {
  startId: string;
  stateHash: string;
  pending: PendingAuthorization;
}

/**
 * `/oauth/start`: turns a start link (a single-use capability) into a sign-in bound to one browser.
 * The browser gets a random nonce in a cookie; the return accepts the provider's answer only with it.
 * Every failure is a page, never a throw, and nothing is used up by a refused request.
 */
@Injectable()
export class SignInStartService {
  private readonly logger = new Logger('SignInStart');

  constructor(
    private readonly states: AuthorizationStateStore,
    private readonly bindings: SignInBindingStore,
    private readonly cookies: SignInCookies,
    private readonly sessions: BrowserSessions,
    private readonly registry: ProviderRegistry,
  ) {}

  /**
   * GET: the owner's Flow session goes straight on; another user's session is refused; no session
   * gets the confirmation page. The start id is used up only when the browser goes on.
   */
  async open(startId: unknown, req: StartRequest): Promise<StartAnswer> {
    return this.answering(async () => {
      const start = await this.find(startId);
      if (!start) return this.unknownLink();
      const user = await this.sessions.find(req);
      if (user !== undefined && user !== start.pending.owner) return this.wrongUser(start.pending, user);
      if (user === start.pending.owner) return this.goOn(start);
      const provider = this.registry.getById(start.pending.providerId);
      if (!provider || !start.pending.authorizeUrl) return this.providerGone();
      // One CSRF token per browser, so several confirmation pages open side by side all work.
      const csrfToken = SignInCookies.csrfToken(req.cookies) ?? randomToken();
      const html = renderConfirmationPage(
        {
          owner: start.pending.owner,
          type: start.pending.type,
          typeTitle: provider.definition.title,
          provider: start.pending.providerName,
          label: start.pending.label,
          signInHost: new URL(start.pending.authorizeUrl).host,
        },
        { action: `${this.cookies.basePath}${SIGN_IN_START_PATH}`, startId: start.startId, csrfToken },
        this.cookies.basePath,
      );
      return { kind: 'page', status: 200, html, formAction: formTargets(start.pending.authorizeUrl), cookies: [this.cookies.csrf(csrfToken)] };
    });
  }

  /** POST: the confirmation form. Checks its CSRF token, then binds the browser and sends it to the provider. */
  async confirm(req: StartRequest): Promise<StartAnswer> {
    return this.answering(async () => {
      const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
      const cookieToken = SignInCookies.csrfToken(req.cookies);
      const fieldToken = fields['csrf_token'];
      if (!cookieToken || typeof fieldToken !== 'string' || !safeEqual(cookieToken, fieldToken)) {
        return this.problem(403, 'invalid_form', 'Sign-in not confirmed', 'The confirmation form has expired or did not come from its page (its CSRF token does not match). Open the sign-in link again.');
      }
      const start = await this.find(fields['id']);
      if (!start) return this.unknownLink();
      const user = await this.sessions.find(req);
      if (user !== undefined && user !== start.pending.owner) return this.wrongUser(start.pending, user);
      return this.goOn(start);
    });
  }

  /** Uses the start id up, binds the sign-in to a fresh nonce in this browser's cookie, and redirects to the provider. */
  private async goOn(start: OpenStart): Promise<StartAnswer> {
    const { pending, stateHash } = start;
    if (!pending.authorizeUrl) return this.unknownLink();
    // Atomic: of two tabs submitting the same link, one goes on and the other sees a used link.
    if ((await this.bindings.takeStart(start.startId)) !== stateHash) return this.unknownLink();
    const expiresAt = AuthorizationStateStore.expiryOf(pending);
    if (expiresAt.getTime() <= Date.now()) return this.unknownLink();
    const nonce = randomToken();
    if (!(await this.bindings.bind(stateHash, sha256Hex(nonce), expiresAt))) {
      return this.problem(409, 'already_started', 'Sign-in already started', 'This sign-in is already bound to a browser. Finish it there, or start the connection again.');
    }
    this.logger.log(`sign-in of "${pending.label}" (${pending.type}/${pending.providerName}) for ${pending.owner} bound to a browser`);
    return { kind: 'redirect', location: pending.authorizeUrl, cookies: [this.cookies.binding(stateHash, nonce, expiresAt)] };
  }

  /** A browser signed in to Flow as someone else than the owner is refused, whatever it submits. */
  private wrongUser(pending: PendingAuthorization, user: string): StartAnswer {
    return this.problem(
      403,
      'wrong_flow_user',
      'This sign-in belongs to another Flow user',
      `This link connects an account for the Flow user "${pending.owner}", but this browser is signed in to Flow as "${user}". Nothing was changed; the link was not used.`,
    );
  }

  private async find(startId: unknown): Promise<OpenStart | undefined> {
    if (typeof startId !== 'string') return undefined;
    const stateHash = await this.bindings.peekStart(startId);
    const pending = stateHash ? await this.states.peek(stateHash) : undefined;
    return stateHash && pending ? { startId, stateHash, pending } : undefined;
  }

  private unknownLink(): StartAnswer {
    return this.problem(404, 'unknown_start_link', 'Sign-in link not valid', 'This sign-in link was already used, has expired or is incomplete. Start the connection again from Flow.');
  }

  private providerGone(): StartAnswer {
    return this.problem(409, 'provider_not_found', 'Provider removed', 'The OAuth provider of this sign-in was removed. Start the connection again from Flow.');
  }

  private problem(status: number, error: string, title: string, message: string): StartAnswer {
    return { kind: 'page', status, html: renderSignInProblemPage({ title, message, error }, this.cookies.basePath), cookies: [] };
  }

  private async answering(work: () => Promise<StartAnswer>): Promise<StartAnswer> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiError) return this.problem(error.getStatus(), error.code, 'Sign-in not confirmed', error.message);
      this.logger.error(`sign-in start failed: ${error instanceof Error ? error.name : 'error'}`);
      return isDependencyError(error)
        ? this.problem(503, 'dependency_unavailable', 'Try again in a moment', 'Flow could not reach its database or Redis; open the sign-in link again in a moment.')
        : this.problem(500, 'internal_error', 'Sign-in failed', 'The sign-in could not be started; start the connection again.');
    }
  }
}
