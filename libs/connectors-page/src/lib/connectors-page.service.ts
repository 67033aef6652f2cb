import { Inject, Injectable } from '@nestjs/common';
import { BrowserSignIn, type PageSession, SignInPages } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ConnectorAuthorizationService, ConnectorsService, type ConnectorView, ProviderRegistry, StartAuthorizationSchema } from '@flow-oauth/connectors';
import { ApiError, parseRequest, readFormFields } from '@flow-oauth/http-common';
import { type PageAnswer, publicBasePath, renderPage } from '@flow-oauth/web-pages';
import type { Request } from 'express';
import { type AddFormState, type ConnectableType, type PageNotice, renderAddForm, renderAdminOnConnectorsPage, renderConnectorList } from './connectors-page.html';

/** The add form is a few short fields; anything bigger is not it. */
const FORM_LIMIT_BYTES = 16 * 1024;

/** What the return page's "continue" link tells this page about a sign-in that did not finish. */
const SIGN_IN_ERRORS: Record<string, string> = {
  access_denied: 'Access was denied at the provider; nothing was stored.',
  invalid_state: 'The sign-in expired or was already used; nothing was stored. Start again.',
  label_taken: 'Another connector took that label meanwhile; nothing was stored. Start again with another label.',
  provider_changed: 'The provider was changed during the sign-in; nothing was stored. Start again.',
  connector_not_found: 'The connector was deleted during the sign-in; nothing was stored.',
};

/**
 * The connectors page (`/`): a user's connectors with their status, and adding, validating,
 * reconnecting and deleting them. Every action calls the same use case as the API (so the same
 * validation and the same errors), as the signed-in user; every form carries the session's CSRF token.
 */
@Injectable()
export class ConnectorsPage {
  private readonly basePath: string;
  /** Where the return page's "continue" sends the browser: this page (the deployment's own origin is always allowed). */
  private readonly homeUrl: string;

  constructor(
    private readonly signIn: BrowserSignIn,
    private readonly signInPages: SignInPages,
    private readonly connectors: ConnectorsService,
    private readonly authorizations: ConnectorAuthorizationService,
    private readonly registry: ProviderRegistry,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.basePath = publicBasePath(config.publicUrl);
    this.homeUrl = `${config.publicUrl}/`;
  }

  /** GET /: the sign-in form, or my connectors (the one a sign-in just created highlighted). */
  async home(req: Request): Promise<PageAnswer> {
    return this.asUser(req, undefined, async (session, user) => {
      const query = req.query as Record<string, unknown>;
      const highlight = typeof query['connector'] === 'string' ? query['connector'] : undefined;
      const connectors = await this.connectors.list(user);
      let notice: PageNotice | undefined;
      const created = connectors.find((c) => c.id === highlight);
      if (query['status'] === 'success' && created) notice = { tone: 'success', message: `Signed in at the provider: the connector ${created.label} is ready.` };
      if (query['status'] === 'error' && typeof query['error'] === 'string') {
        const code = query['error'].replace(/[^a-z0-9_]/gi, '').slice(0, 64);
        notice = { tone: 'error', message: `The sign-in did not finish. ${SIGN_IN_ERRORS[code] ?? 'Nothing was stored; start again.'}`, error: code };
      }
      return this.listPage(session, connectors, 200, notice, created?.id);
    });
  }

  /** GET /connectors/new: the add form, at the step the query reaches (type, then provider, then details). */
  async newConnector(req: Request): Promise<PageAnswer> {
    return this.asUser(req, undefined, async (session) => {
      const query = req.query as Record<string, unknown>;
      const type = typeof query['type'] === 'string' ? query['type'] : undefined;
      const provider = typeof query['provider'] === 'string' ? query['provider'] : undefined;
      const state = this.addFormState(type, provider);
      const unknown =
        type && !state.type
          ? { error: 'provider_not_found', message: `No OAuth provider is loaded for connector type "${type.slice(0, 64)}".` }
          : provider && !state.fields
            ? { error: 'provider_not_found', message: `No OAuth provider "${provider.slice(0, 64)}" is loaded for connector type "${state.type}".` }
            : undefined;
      return this.addPage(session, state, unknown ? 404 : 200, unknown && { tone: 'error', ...unknown });
    });
  }

  /** POST /connectors: starts the sign-in as the API does (same checks, same errors), then on to the provider through the start link. */
  async create(req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.asUser(req, fields, async (session, user) => {
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(fields)) if (name.startsWith('param.') && value.trim() !== '') params[name.slice('param.'.length)] = value.trim();
      const body = { type: fields['type'], provider: fields['provider'], label: fields['label'], params, redirectUrl: this.homeUrl };
      try {
        // The API's own schema first: the page shows the same errors the API answers.
        const { authorizeUrl } = await this.authorizations.start(user, parseRequest(StartAuthorizationSchema, body));
        // The owner's session goes straight on from the start link to the provider.
        return { kind: 'redirect', location: authorizeUrl };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const state = { ...this.addFormState(fields['type'], fields['provider']), label: fields['label'], values: params };
        return this.addPage(session, state, error.getStatus(), noticeOf(error));
      }
    });
  }

  /** POST /connectors/:id/validate: tests the token at the provider. */
  async validate(req: Request, id: string): Promise<PageAnswer> {
    return this.action(req, async (user) => {
      const connector = await this.connectors.get(user, id);
      const result = await this.connectors.validate(user, id);
      return result.valid
        ? { tone: 'success', message: `${connector.label}: the provider accepted its token${result.status ? ` (HTTP ${result.status})` : ''}.` }
        : { tone: 'error', message: `${connector.label}: the provider did not accept its token (${result.detail}). Reconnect it if this persists.` };
    });
  }

  /** POST /connectors/:id/delete: revokes where it can, then deletes. */
  async delete(req: Request, id: string): Promise<PageAnswer> {
    return this.action(req, async (user) => {
      const connector = await this.connectors.get(user, id);
      const result = await this.connectors.delete(user, id);
      return { tone: 'success', message: `Connector ${connector.label} deleted${result.revoked ? '; its tokens were revoked at the provider' : ` (not revoked at the provider: ${result.detail})`}.` };
    });
  }

  /** POST /connectors/:id/reconnect: signs the connector in again (same id and label), on to the provider. */
  async reconnect(req: Request, id: string): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.asUser(req, fields, async (session, user) => {
      try {
        const { authorizeUrl } = await this.authorizations.reconnect(user, id, { redirectUrl: this.homeUrl });
        return { kind: 'redirect', location: authorizeUrl };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        return this.listPage(session, await this.connectors.list(user), error.getStatus(), noticeOf(error));
      }
    });
  }

  /** A list action: the form is checked, the use case runs, and the list comes back with what happened. */
  private async action(req: Request, run: (user: { kind: 'user'; name: string }) => Promise<PageNotice>): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.asUser(req, fields, async (session, user) => {
      let notice: PageNotice;
      let status = 200;
      try {
        notice = await run(user);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        notice = noticeOf(error);
        status = error.getStatus();
      }
      return this.listPage(session, await this.connectors.list(user), status, notice);
    });
  }

  /**
   * Runs page work for a signed-in user. No session: the sign-in form (401 for a form post). A
   * posted form must carry the session's CSRF token (403 otherwise, nothing done).
   */
  private async asUser(req: Request, fields: Record<string, string> | undefined, work: (session: PageSession, user: { kind: 'user'; name: string }) => Promise<PageAnswer>): Promise<PageAnswer> {
    const session = await this.signIn.current(req);
    if (!session) return fields ? this.signInPages.form(req, 'user', 401, { error: 'unauthorized', message: 'Sign in first; nothing was done.' }) : this.signInPages.form(req, 'user');
    if (fields && !this.signIn.checkCsrf(session, fields['csrf_token'])) {
      return this.page(session, 'My connectors', '<p>The form did not come from this page (its CSRF token does not match); nothing was done. Reload the page and try again.</p><p><code>invalid_form</code></p>', 403);
    }
    if (session.principal.kind !== 'user') return this.page(session, 'My connectors', renderAdminOnConnectorsPage(this.basePath), 200);
    return work(session, session.principal);
  }

  private listPage(session: PageSession, connectors: ConnectorView[], status: number, notice?: PageNotice, highlight?: string): PageAnswer {
    const body = renderConnectorList({ connectors, highlight, csrfToken: session.csrfToken, basePath: this.basePath, notice });
    // Reconnect posts lead through the start link to the provider: its origin must be a form target (Chromium checks every redirect).
    const origins = connectors.filter((c) => c.status === 'needs_reauth').map((c) => this.signInOriginOf(c.type, c.provider, c.params));
    return this.page(session, 'My connectors', body, status, origins);
  }

  private addPage(session: PageSession, state: AddFormState, status: number, notice?: PageNotice): PageAnswer {
    const body = renderAddForm(state, { csrfToken: session.csrfToken, basePath: this.basePath, notice });
    // With what was typed, and with the defaults: a refused value (the page is showing its error) tells no origin.
    const origins = state.type && state.provider && state.fields ? [this.signInOriginOf(state.type, state.provider, state.values ?? {}), this.signInOriginOf(state.type, state.provider, {})] : [];
    return this.page(session, 'Add a connector', body, status, origins);
  }

  private page(session: PageSession, title: string, body: string, status: number, signInOrigins: Array<string | undefined> = []): PageAnswer {
    const links = `<a href="${this.basePath}/">My connectors</a><a href="${this.basePath}/connectors/new">Add connector</a>`;
    const html = renderPage({ title, body, header: this.signInPages.header(session, 'user', links), wide: true, basePath: this.basePath, tone: status >= 400 ? 'fail' : undefined });
    // The start link answers with a redirect to the provider's sign-in page, which may move on to another https host of the provider's.
    const formAction = ["'self'", ...new Set(signInOrigins.filter((o): o is string => o !== undefined)), 'https:'];
    return { kind: 'page', status, html, formAction };
  }

  private signInOriginOf(type: string, name: string, params: Record<string, string>): string | undefined {
    const provider = this.registry.get(type, name);
    return provider ? this.authorizations.signInOrigin(provider, params) : undefined;
  }

  /** The types with providers loaded, and the chosen type, provider and its per-connection fields where they exist. */
  private addFormState(type: string | undefined, provider: string | undefined): AddFormState {
    const byType = new Map<string, ConnectableType>();
    for (const p of this.registry.list()) {
      const entry = byType.get(p.type) ?? { type: p.type, title: p.definition.title, providers: [] };
      entry.providers.push(p.name);
      byType.set(p.type, entry);
    }
    const types = [...byType.values()].sort((a, b) => a.title.localeCompare(b.title));
    for (const t of types) t.providers.sort();
    const chosen = type ? byType.get(type) : undefined;
    if (!chosen) return { types };
    const loaded = provider ? this.registry.get(chosen.type, provider) : undefined;
    if (!loaded) return { types, type: chosen.type };
    const fields = (loaded.definition.oauth2_required ?? []).map((r) => ({ id: r.id, title: r.title, description: r.description, default: r.default, optional: r.optional ?? false }));
    return { types, type: chosen.type, provider: loaded.name, fields };
  }
}

/** An API error as the page shows it: the same message and code, and the refused fields. */
function noticeOf(error: ApiError): PageNotice {
  const problems = Array.isArray(error.extra['problems'])
    ? (error.extra['problems'] as unknown[]).map((p) => (typeof p === 'string' ? p : typeof p === 'object' && p !== null && 'message' in p ? `${String((p as { param?: unknown }).param ?? '')}: ${String((p as { message: unknown }).message)}` : String(p)))
    : undefined;
  return { tone: 'error', message: error.message, error: error.code, problems };
}
