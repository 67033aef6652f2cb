import type { ConnectorView } from '@flow-oauth/connectors';
import { escapeHtml as e } from '@flow-oauth/web-pages';

/** What a page says after an action or a sign-in: success, a problem (the API's code and message), or information. */
export interface PageNotice {
  tone: 'success' | 'error' | 'info';
  message: string;
  /** The API's error code, shown beside the message. */
  error?: string;
  /** Details of an invalid request (each refused field). */
  problems?: string[];
}

/** A connector type that has providers loaded, with them. */
export interface ConnectableType {
  type: string;
  title: string;
  providers: string[];
}

/** A per-connection field of the chosen provider's definition. */
export interface ConnectionField {
  id: string;
  title: string;
  description?: string;
  default?: string;
  optional: boolean;
}

/** The add form's state: which step, what was chosen and typed (never a secret: labels and connection parameters). */
export interface AddFormState {
  types: ConnectableType[];
  type?: string;
  provider?: string;
  fields?: ConnectionField[];
  label?: string;
  values?: Record<string, string>;
}

/** Why a connector needs attention, in words (its lastError is a code or a short reason). */
export function statusReason(connector: Pick<ConnectorView, 'status' | 'lastError'>): string | undefined {
  if (connector.status === 'active') return undefined;
  const reason = connector.lastError ?? '';
  const words: Record<string, string> = {
    invalid_grant: 'the provider no longer accepts its grant (revoked at the provider, expired, or its refresh token refused)',
    no_refresh_token: 'the provider issued no refresh token, so it cannot be renewed',
    provider_deleted: 'its OAuth provider was removed',
  };
  const said = words[reason] ?? (reason || 'no reason recorded');
  return connector.status === 'needs_reauth' ? `Needs sign-in again: ${said}.` : `Refreshes keep failing: ${said}. Flow keeps retrying; it turns active by itself.`;
}

const STATUS_WORDS: Record<ConnectorView['status'], string> = { active: 'active', needs_reauth: 'needs sign-in', refresh_failed: 'refresh failed' };

/** A time as people read it (UTC, to the minute), in a <time> element. */
export function timeText(iso: string | null, whenNull: string): string {
  if (!iso) return e(whenNull);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return e(whenNull);
  return `<time datetime="${e(d.toISOString())}">${e(d.toISOString().slice(0, 16).replace('T', ' '))} UTC</time>`;
}

function notice(n: PageNotice | undefined): string {
  if (!n) return '';
  // One problem is the message itself; several are listed under it.
  const problems = n.problems && n.problems.length > 1 ? `<ul>${n.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul>` : '';
  const code = n.error ? `<p><code>${e(n.error)}</code></p>` : '';
  return `<div class="box ${n.tone}" role="${n.tone === 'error' ? 'alert' : 'status'}" id="notice"><p>${e(n.message)}</p>${problems}${code}</div>`;
}

/** The hidden CSRF field every state-changing form carries. */
function csrf(token: string): string {
  return `<input type="hidden" name="csrf_token" value="${e(token)}">`;
}

/** "My connectors": status with a visible warning and its reason, expiry, last refresh, and the actions. */
export function renderConnectorList(spec: { connectors: ConnectorView[]; highlight?: string; csrfToken: string; basePath: string; notice?: PageNotice }): string {
  const { basePath } = spec;
  const add = `<p><a href="${e(`${basePath}/connectors/new`)}" id="add-connector">Add connector</a></p>`;
  if (spec.connectors.length === 0) {
    return `${notice(spec.notice)}<p id="no-connectors">You have no connectors yet.</p>${add}`;
  }
  const rows = spec.connectors.map((c) => {
    const reason = statusReason(c);
    const warning = reason ? `<div class="warning"><span role="img" aria-label="warning">&#9888;</span> ${e(reason)}</div>` : '';
    const expiry = c.expiresAt ? timeText(c.expiresAt, '') : c.status === 'needs_reauth' ? 'no token' : 'expiry unknown';
    // Each button's accessible name says which connector it acts on.
    const action = (path: string, text: string, cls: string) =>
      `<form method="post" action="${e(`${basePath}/connectors/${c.id}/${path}`)}" class="inline">${csrf(spec.csrfToken)}` +
      `<button type="submit" class="${cls}" aria-label="${e(`${text} ${c.label}`)}">${e(text)}</button></form>`;
    const actions = [
      action('validate', 'Validate', 'secondary small'),
      c.status === 'needs_reauth' ? action('reconnect', 'Reconnect', 'small') : '',
      `<details><summary>Delete</summary><p class="note">Revokes the tokens at the provider where it can, then deletes the connector.</p>${action('delete', 'Delete', 'danger small')}</details>`,
    ].join(' ');
    const highlighted = c.id === spec.highlight;
    return (
      `<tr id="connector-${e(c.id)}" data-label="${e(c.label)}"${highlighted ? ' class="highlight" aria-current="true"' : ''}>` +
      `<td><strong>${e(c.label)}</strong>${highlighted ? ' <span class="badge active">new</span>' : ''}<div class="note"><code>${e(c.id)}</code></div></td>` +
      `<td>${e(c.type)}</td><td>${e(c.provider)}</td>` +
      `<td class="status"><span class="badge ${e(c.status)}">${e(STATUS_WORDS[c.status] ?? c.status)}</span>${warning}</td>` +
      `<td>${expiry}</td><td>${timeText(c.lastRefreshedAt, 'never')}</td>` +
      `<td class="actions">${actions}</td></tr>`
    );
  });
  return (
    notice(spec.notice) +
    `<table class="list" id="connectors"><caption class="note">Your connectors. Workflow engines fetch their tokens by id.</caption>` +
    `<thead><tr><th scope="col">Label</th><th scope="col">Type</th><th scope="col">Provider</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col">Last refresh</th><th scope="col">Actions</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>${add}`
  );
}

/**
 * "Add connector" in three steps with no script: pick the type (a GET form), then the provider (a
 * GET form), then the label and the definition's per-connection fields (a POST that goes on to the
 * provider through the start link).
 */
export function renderAddForm(state: AddFormState, spec: { csrfToken: string; basePath: string; notice?: PageNotice }): string {
  const { basePath } = spec;
  const back = `<p><a href="${e(`${basePath}/`)}">Back to my connectors</a></p>`;
  if (state.types.length === 0) {
    return `${notice(spec.notice)}<p>No OAuth provider is loaded yet: ask the administrator to load one.</p>${back}`;
  }
  const chosen = state.types.find((t) => t.type === state.type);
  const steps = `<p class="steps">Step ${!chosen ? 1 : !state.fields ? 2 : 3} of 3: ${!chosen ? 'connector type' : !state.fields ? 'provider' : 'label and connection details'}</p>`;
  const typeOptions = state.types
    .map((t) => `<option value="${e(t.type)}"${t.type === state.type ? ' selected' : ''}>${e(t.title)} (${e(t.type)})</option>`)
    .join('');
  const typeForm =
    `<form method="get" action="${e(`${basePath}/connectors/new`)}" class="stack" id="choose-type">` +
    `<label for="type">Connector type<select id="type" name="type">${typeOptions}</select></label>` +
    `<div><button type="submit"${chosen ? ' class="secondary"' : ''}>${chosen ? 'Change type' : 'Next'}</button></div></form>`;
  if (!chosen) return notice(spec.notice) + steps + typeForm + back;

  const providerOptions = chosen.providers.map((p) => `<option value="${e(p)}"${p === state.provider ? ' selected' : ''}>${e(p)}</option>`).join('');
  const providerForm =
    `<form method="get" action="${e(`${basePath}/connectors/new`)}" class="stack" id="choose-provider">` +
    `<input type="hidden" name="type" value="${e(chosen.type)}">` +
    `<label for="provider">Provider of ${e(chosen.title)}<select id="provider" name="provider">${providerOptions}</select></label>` +
    `<div><button type="submit"${state.fields ? ' class="secondary"' : ''}>${state.fields ? 'Change provider' : 'Next'}</button></div></form>`;
  if (!state.fields || !state.provider) return notice(spec.notice) + steps + `<p>Type: <strong>${e(chosen.title)}</strong></p>` + providerForm + back;

  const values = state.values ?? {};
  const fields = state.fields
    .map((f) => {
      const hint = [f.description, f.default ? `leave empty for ${f.default}` : f.optional ? 'optional' : 'required'].filter(Boolean).join('; ');
      return (
        `<label for="param-${e(f.id)}">${e(f.title)} <span class="hint">(${e(hint)})</span>` +
        `<input type="text" id="param-${e(f.id)}" name="param.${e(f.id)}" value="${e(values[f.id] ?? '')}"${f.default ? ` placeholder="${e(f.default)}"` : ''} spellcheck="false"></label>`
      );
    })
    .join('');
  const connectForm =
    `<form method="post" action="${e(`${basePath}/connectors`)}" class="stack" id="connect">` +
    csrf(spec.csrfToken) +
    `<input type="hidden" name="type" value="${e(chosen.type)}"><input type="hidden" name="provider" value="${e(state.provider)}">` +
    `<label for="label">Connector label <span class="hint">(unique across all connectors; letters, digits, _ and -, not starting with a digit; case-sensitive)</span>` +
    `<input type="text" id="label" name="label" value="${e(state.label ?? '')}" spellcheck="false" autocomplete="off"></label>` +
    fields +
    `<div><button type="submit">Continue to ${e(chosen.title)}</button></div>` +
    `<p class="note">You sign in at the provider and allow access; you then come back to your connectors.</p></form>`;
  return (
    notice(spec.notice) +
    steps +
    `<p>Type: <strong>${e(chosen.title)}</strong> · Provider: <strong>${e(state.provider)}</strong></p>` +
    connectForm +
    `<details><summary>Change the type or provider</summary>${typeForm}${providerForm}</details>` +
    back
  );
}

/** The connectors page of a browser signed in as the administrator: it lists users' connectors, not the admin's. */
export function renderAdminOnConnectorsPage(basePath: string): string {
  return `<p>You are signed in as the administrator. This page is for users connecting their own accounts: sign out and sign in with a user key, or go to the <a href="${e(`${basePath}/admin`)}">admin page</a>.</p>`;
}
