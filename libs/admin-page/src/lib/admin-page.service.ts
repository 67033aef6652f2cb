import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BrowserSignIn, type PageSession, SignInPages } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sampleConfiguration } from '@flow-oauth/connector-definitions';
import { ApiError, readFormFields } from '@flow-oauth/http-common';
import { providerInUse } from '@flow-oauth/provider-config';
import { type PageAnswer, publicBasePath, renderPage } from '@flow-oauth/web-pages';
import type { Request } from 'express';
import { AdminOverview } from './admin-overview';
import { type AdminNotice, type AdminPageModel, adminSectionLinks, type ConfigurationResult, renderAdminPage } from './admin-page.html';
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
    return this.page(session, { status: 200 });
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

  private async page(session: PageSession, outcome: ActionOutcome): Promise<PageAnswer> {
    const [overview, providers, users] = await Promise.all([
      this.overview.read(),
      this.configLoader.providers().catch(reasonOf),
      this.configLoader.users().catch(reasonOf),
    ]);
    const model: AdminPageModel = { csrfToken: session.csrfToken, basePath: this.basePath, overview, providers, users, ...outcome };
    const html = renderPage({
      title: 'Flow OAuth administration',
      body: renderAdminPage(model),
      header: this.signInPages.header(session, 'admin', adminSectionLinks(this.basePath)),
      wide: true,
      basePath: this.basePath,
    });
    return { kind: 'page', status: outcome.status, html, formAction: ["'self'"] };
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

/** Why a part of the page from config-loader is missing. */
function reasonOf(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  throw error;
}
