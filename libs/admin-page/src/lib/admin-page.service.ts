import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BrowserSignIn, type PageSession, SignInPages } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sampleConfiguration } from '@flow-oauth/connector-definitions';
import { ApiError, readFormFields } from '@flow-oauth/http-common';
import { providerInUse } from '@flow-oauth/provider-config';
import { escapeHtml, type PageAnswer, publicBasePath, renderPage } from '@flow-oauth/web-pages';
import type { Request } from 'express';
import { AdminOverview } from './admin-overview';
import { type AdminNotice, type AdminPageModel, adminSectionLinks, type ConfigurationResult, renderAdminPage } from './admin-page.html';
import {
  AUDIT_DEFAULT_SINCE,
  AUDIT_FILTER_FIELDS,
  AUDIT_PAGE_LIMIT,
  DELIVERIES_PAGE_LIMIT,
  DELIVERY_FILTER_FIELDS,
  renderSetupGuide,
  setupGuideSection,
} from './admin-views.html';
import { ConfigLoaderClient, type LoadPlan } from './config-loader.client';
import { ConfigurationDrafts } from './configuration-drafts';
import { placeErrors } from './configuration-lines';

const FORM_LIMIT_BYTES = 16 * 1024;

/** What one admin action produced for the page: its answer's status, and what to show above the overview. */
interface ActionOutcome {
  status: number;
  notice?: AdminNotice;
  configuration?: ConfigurationResult;
  issuedKey?: { name: string; key: string };
}

/** The file the load form brought: an uploaded file wins over pasted text. */
export interface LoadFormInput {
  fields: Record<string, unknown>;
  file?: { buffer: Buffer; size: number };
}

/**
 * The admin page (`/admin`): the overview first, then loading a configuration (dry-run plan, then
 * apply), providers (delete, purge tokens) and user keys. What config-loader owns goes through its
 * API (ConfigLoaderClient, with this process's admin key); the page never receives a client secret
 * (only the redacted read is asked for, and a file between plan and apply stays on the server).
 * Every form carries the admin session's CSRF token.
 */
@Injectable()
export class AdminPage {
  private readonly basePath: string;

  constructor(
    private readonly signIn: BrowserSignIn,
    private readonly signInPages: SignInPages,
    private readonly configLoader: ConfigLoaderClient,
    private readonly drafts: ConfigurationDrafts,
    private readonly overview: AdminOverview,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.basePath = publicBasePath(config.publicUrl);
  }

  /** GET /admin: the sign-in form (the admin key), or the page. */
  async view(req: Request): Promise<PageAnswer> {
    const session = await this.signIn.current(req);
    if (session?.principal.kind !== 'admin') {
      const problem = session ? { error: 'forbidden', message: `This browser is signed in as ${session.principal.name}; the admin page needs the admin key.` } : undefined;
      return this.signInPages.form(req, 'admin', 200, problem);
    }
    return this.page(session, { status: 200 }, queryFields(req));
  }

  /** GET /admin/setup?type=: one connector type's setup guide, from config-loader (its 404 for an unknown type). */
  async setupGuide(session: PageSession, req: Request): Promise<PageAnswer> {
    const type = queryFields(req)['type'] ?? '';
    let body: string;
    let status = 200;
    try {
      if (type === '') throw new ApiError(400, 'invalid_request', 'Choose a connector type (type is required).');
      body = renderSetupGuide(await this.configLoader.setupGuide(type), this.basePath);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.getStatus();
      body = `<div class="box error" role="alert" id="notice"><p>${escapeHtml(error.message)}</p><p><code>${escapeHtml(error.code)}</code></p></div>${setupGuideSection(this.basePath)}`;
    }
    const html = renderPage({
      title: type && status === 200 ? `Setup guide: ${type}` : 'Setup guide',
      body,
      header: this.signInPages.header(session, 'admin', adminSectionLinks(this.basePath)),
      wide: true,
      basePath: this.basePath,
    });
    return { kind: 'page', status, html, formAction: ["'self'"] };
  }

  /** GET /admin/template: the sample file of every connector type (placeholders, no secret). */
  template(): PageAnswer {
    return { kind: 'download', fileName: 'oauth-config.json', contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(sampleConfiguration(), null, 2)}\n` };
  }

  /** POST /admin/configuration: the dry-run plan of a pasted or uploaded file; a plan to apply is kept on the server. */
  async plan(session: PageSession, input: LoadFormInput): Promise<PageAnswer> {
    return this.act(session, input.fields['csrf_token'], async () => {
      const text = input.file && input.file.size > 0 ? input.file.buffer.toString('utf8') : typeof input.fields['text'] === 'string' ? input.fields['text'] : '';
      try {
        const { plan } = await this.configLoader.plan(text);
        // A plan with conflicts would be refused as a whole: say it with the load API's own 409 error.
        const refused = plan.conflicts.length > 0 ? providerInUse(plan.conflicts) : undefined;
        const applicable = !refused && plan.added.length + plan.updated.length > 0;
        const draftId = applicable ? await this.drafts.save(text, ownerOf(session)) : undefined;
        return { status: 200, configuration: { kind: 'plan', plan, draftId, refusal: refused && { error: refused.code, message: refused.message } } };
      } catch (error) {
        return this.refusedFile(error, text);
      }
    });
  }

  /** POST /admin/configuration/apply: loads the very text that was planned. */
  async apply(session: PageSession, req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.act(session, fields['csrf_token'], async () => {
      const draftId = fields['draft'] ?? '';
      const text = await this.drafts.get(draftId, ownerOf(session));
      if (text === undefined) {
        return { status: 409, notice: { tone: 'error', error: 'plan_expired', message: 'This plan has expired (plans are kept 10 minutes) or was already applied; nothing was loaded. Show the plan again.' } };
      }
      try {
        const { plan } = await this.configLoader.load(text);
        await this.drafts.drop(draftId);
        return { status: 200, notice: { tone: 'success', message: `Loaded: ${summary(plan)}.` }, configuration: { kind: 'applied', plan } };
      } catch (error) {
        return this.refusedFile(error, text);
      }
    });
  }

  /** POST /admin/providers/delete. */
  async deleteProvider(session: PageSession, req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.act(session, fields['csrf_token'], async () => {
      await this.configLoader.deleteProvider(fields['type'] ?? '', fields['provider'] ?? '');
      return { status: 200, notice: { tone: 'success', message: `Provider ${fields['type']}/${fields['provider']} deleted.` } };
    });
  }

  /** POST /admin/providers/purge: the tokens of a provider's connectors, of one user or all. */
  async purgeTokens(session: PageSession, req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.act(session, fields['csrf_token'], async () => {
      const user = fields['user'] || undefined;
      const { purged, connectors } = await this.configLoader.purgeTokens(fields['type'] ?? '', fields['provider'] ?? '', user);
      const whose = user ? `of ${user}` : 'of all users';
      const which = purged > 0 ? `: ${connectors.join(', ')} now need${purged === 1 ? 's' : ''} sign-in again` : '';
      return { status: 200, notice: { tone: 'success', message: `Tokens purged for ${fields['type']}/${fields['provider']} ${whose}: ${purged} connector(s)${which}.` } };
    });
  }

  /** POST /admin/users: issues a key, shown on this answer only. */
  async createUser(session: PageSession, req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.act(session, fields['csrf_token'], async () => {
      const issued = await this.configLoader.createUser(fields['name'] ?? '');
      return { status: 200, notice: { tone: 'success', message: `User ${issued.name} created.` }, issuedKey: issued };
    });
  }

  /** POST /admin/users/delete: revokes a user's key. */
  async deleteUser(session: PageSession, req: Request): Promise<PageAnswer> {
    const fields = await readFormFields(req, { limitBytes: FORM_LIMIT_BYTES });
    return this.act(session, fields['csrf_token'], async () => {
      await this.configLoader.deleteUser(fields['name'] ?? '');
      return { status: 200, notice: { tone: 'success', message: `The key of ${fields['name']} is revoked; it stops working at once.` } };
    });
  }

  /** Checks the form's CSRF token, runs the action (an API error becomes the notice, with its status), then the page. */
  private async act(session: PageSession, csrfToken: unknown, action: () => Promise<ActionOutcome>): Promise<PageAnswer> {
    if (!this.signIn.checkCsrf(session, csrfToken)) {
      return this.page(session, { status: 403, notice: { tone: 'error', error: 'invalid_form', message: 'The form did not come from this page (its CSRF token does not match); nothing was done. Reload the page and try again.' } });
    }
    let outcome: ActionOutcome;
    try {
      outcome = await action();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      outcome = { status: error.getStatus(), notice: noticeOf(error) };
    }
    return this.page(session, outcome);
  }

  /** A refused load or plan: an invalid file's errors on the lines of its text, else the API's error. */
  private refusedFile(error: unknown, text: string): ActionOutcome {
    if (!(error instanceof ApiError)) throw error;
    const errors = error.extra['errors'];
    if (error.code === 'invalid_configuration' && Array.isArray(errors)) {
      return { status: error.getStatus(), configuration: { kind: 'invalid', message: error.message, error: error.code, errors: placeErrors(text, errors as Array<{ path: string; message: string }>) } };
    }
    return { status: error.getStatus(), notice: noticeOf(error) };
  }

  private async page(session: PageSession, outcome: ActionOutcome, query: Record<string, string> = {}): Promise<PageAnswer> {
    const deliveriesForm = pickFields(query, DELIVERY_FILTER_FIELDS);
    const auditForm = { audit_since: query['audit_since'] ?? AUDIT_DEFAULT_SINCE, ...pickFields(query, AUDIT_FILTER_FIELDS) };
    const [overview, providers, users, deliveries, audit] = await Promise.all([
      this.overview.read(),
      this.configLoader.providers().catch(reasonOf),
      this.configLoader.users().catch(reasonOf),
      this.configLoader.webhookDeliveries({ ...apiFilter(deliveriesForm, DELIVERY_FILTER_FIELDS), limit: String(DELIVERIES_PAGE_LIMIT) }).catch(refusalOf),
      this.configLoader.audit({ ...apiFilter(auditForm, AUDIT_FILTER_FIELDS), limit: String(AUDIT_PAGE_LIMIT) }).catch(refusalOf),
    ]);
    // A filter config-loader refused is the page's answer too (400, its message beside the form).
    const refused = [deliveries, audit].find((rows) => !Array.isArray(rows) && rows.status === 400);
    const status = outcome.status === 200 && refused ? 400 : outcome.status;
    const model: AdminPageModel = {
      csrfToken: session.csrfToken,
      basePath: this.basePath,
      overview,
      providers,
      users,
      deliveries: { form: deliveriesForm, rows: deliveries },
      audit: { form: auditForm, rows: audit },
      ...outcome,
    };
    const html = renderPage({
      title: 'Flow OAuth administration',
      body: renderAdminPage(model),
      header: this.signInPages.header(session, 'admin', adminSectionLinks(this.basePath)),
      wide: true,
      basePath: this.basePath,
    });
    return { kind: 'page', status, html, formAction: ["'self'"] };
  }
}

/** Plans are kept for the admin session that made them (a hash of its id: the id itself is the cookie's secret). */
function ownerOf(session: PageSession): string {
  return createHash('sha256').update(session.sessionId).digest('hex');
}

function summary(plan: LoadPlan): string {
  return `${plan.added.length} added, ${plan.updated.length} updated, ${plan.unchanged.length} unchanged`;
}

/** An API error as the page shows it: the same message and code, with the conflicts or connectors it names. */
function noticeOf(error: ApiError): AdminNotice {
  const conflicts = Array.isArray(error.extra['conflicts']) ? (error.extra['conflicts'] as AdminNotice['conflicts']) : undefined;
  const connectors = Array.isArray(error.extra['connectors']) ? (error.extra['connectors'] as string[]) : undefined;
  return { tone: 'error', message: error.message, error: error.code, conflicts, connectors };
}

/** The query string's single values (a parameter given twice is left out). */
function queryFields(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.query ?? {})) if (typeof value === 'string') out[key] = value;
  return out;
}

/** The form fields of one filter form that the query holds. */
function pickFields(query: Record<string, string>, fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(fields).filter((name) => query[name] !== undefined).map((name) => [name, query[name]]));
}

/** A filter form's values as the API's query parameters. */
function apiFilter(form: Record<string, string>, fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(form).map(([name, value]) => [fields[name], value]));
}

/** A list config-loader refused or could not give: its error, shown beside the list's form. */
function refusalOf(error: unknown): { error: string; message: string; status: number } {
  if (error instanceof ApiError) return { error: error.code, message: error.message, status: error.getStatus() };
  throw error;
}

/** Why a part of the page from config-loader is missing. */
function reasonOf(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  throw error;
}
