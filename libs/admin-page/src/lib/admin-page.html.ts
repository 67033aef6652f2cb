import { escapeHtml as e } from '@flow-oauth/web-pages';
import type { AdminOverviewData, ProviderOverview } from './admin-overview';
import { auditSection, deliveriesSection, type FilteredList, setupGuideSection } from './admin-views.html';
import type { AuditEntryView, LoadPlan, RedactedProviders, WebhookDeliveryView } from './config-loader.client';
import type { PlacedError } from './configuration-lines';
import { renderRefreshChart } from './refresh-chart';

/** What an admin action answered: success, or the API's error (code, message, and what it names). */
export interface AdminNotice {
  tone: 'success' | 'error' | 'info';
  message: string;
  error?: string;
  /** In-use providers and the connectors that use them (409 provider_in_use). */
  conflicts?: LoadPlan['conflicts'];
  /** Connectors a user still owns (409 user_has_connectors). */
  connectors?: string[];
}

/** A dry-run plan, or the refused file's errors on its lines, or a plan that was applied. */
export type ConfigurationResult =
  | { kind: 'plan'; plan: LoadPlan; draftId?: string; refusal?: { error: string; message: string } }
  | { kind: 'invalid'; message: string; error: string; errors: PlacedError[] }
  | { kind: 'applied'; plan: LoadPlan };

/** Everything the admin page shows; each part may be missing when its source did not answer. */
export interface AdminPageModel {
  csrfToken: string;
  basePath: string;
  overview: AdminOverviewData;
  /** From config-loader; a string says why it is missing. */
  providers: RedactedProviders | string;
  users: Array<{ name: string; createdAt: string }> | string;
  notice?: AdminNotice;
  configuration?: ConfigurationResult;
  /** A user key just issued: shown on this page only, once. */
  issuedKey?: { name: string; key: string };
  /** Webhook deliveries and the audit trail, each with its filter form (left out when not asked for). */
  deliveries?: FilteredList<WebhookDeliveryView>;
  audit?: FilteredList<AuditEntryView>;
  /** Sections other features add to the page (trusted HTML), after the built-in ones. */
  extraSections?: string[];
}

const csrf = (token: string) => `<input type="hidden" name="csrf_token" value="${e(token)}">`;
const STATUS_TITLES = { active: 'Active', needs_reauth: 'Needs sign-in', refresh_failed: 'Refresh failed' } as const;

function noticeBox(n: AdminNotice | undefined): string {
  if (!n) return '';
  const conflicts = n.conflicts?.length
    ? `<ul id="conflicts">${n.conflicts.map((c) => `<li><code>${e(c.type)}/${e(c.provider)}</code> is used by ${c.connectors.map((l) => `<strong>${e(l)}</strong>`).join(', ')}</li>`).join('')}</ul>`
    : '';
  const owned = n.connectors?.length ? `<p>Connectors: ${n.connectors.map((l) => `<strong>${e(l)}</strong>`).join(', ')}</p>` : '';
  const code = n.error ? `<p><code>${e(n.error)}</code></p>` : '';
  return `<div class="box ${n.tone}" role="${n.tone === 'error' ? 'alert' : 'status'}" id="notice"><p>${e(n.message)}</p>${conflicts}${owned}${code}</div>`;
}

function when(iso: string | null | undefined): string {
  return iso ? `<time datetime="${e(iso)}">${e(iso.slice(0, 16).replace('T', ' '))} UTC</time>` : '';
}

function planTable(plan: LoadPlan): string {
  const rows = [
    ...plan.added.map((p) => ['added', p.type, p.provider, '']),
    ...plan.updated.map((p) => ['updated', p.type, p.provider, '']),
    ...plan.unchanged.map((p) => ['unchanged', p.type, p.provider, '']),
    ...plan.conflicts.map((c) => ['conflict', c.type, c.provider, c.connectors.join(', ')]),
  ];
  const summary = `${plan.added.length} added, ${plan.updated.length} updated, ${plan.unchanged.length} unchanged, ${plan.conflicts.length} conflicts`;
  return (
    `<p id="plan-summary"><strong>${e(summary)}</strong></p>` +
    `<table class="list" id="plan-table"><thead><tr><th scope="col">Status</th><th scope="col">Type</th><th scope="col">Provider</th><th scope="col">Connectors causing a conflict</th></tr></thead><tbody>` +
    rows.map(([status, type, provider, connectors]) => `<tr class="plan-${status}"><td>${e(status)}</td><td><code>${e(type)}</code></td><td>${e(provider)}</td><td>${e(connectors)}</td></tr>`).join('') +
    `</tbody></table>`
  );
}

function configurationResult(result: ConfigurationResult | undefined, model: AdminPageModel): string {
  if (!result) return '';
  const { basePath } = model;
  if (result.kind === 'invalid') {
    const rows = result.errors
      .map((err) => `<tr><td class="num">${err.line ?? ''}</td><td class="line">${e(err.text ?? '')}</td><td><code>${e(err.path || '/')}</code></td><td>${e(err.message)}</td></tr>`)
      .join('');
    return (
      `<section id="plan" aria-labelledby="plan-title"><h2 id="plan-title" class="fail">The configuration was refused; nothing was loaded</h2>` +
      `<div class="box error" role="alert"><p>${e(result.message)}</p><p><code>${e(result.error)}</code></p></div>` +
      (rows
        ? `<table class="list errors" id="configuration-errors"><thead><tr><th scope="col" class="num">Line</th><th scope="col">Your text (secret values hidden)</th><th scope="col">JSON path</th><th scope="col">Problem</th></tr></thead><tbody>${rows}</tbody></table>`
        : '') +
      `<p class="note">Flow does not send your file back to the browser (it holds client secrets): correct it in your editor, or go back in the browser to edit the pasted text, and show the plan again.</p></section>`
    );
  }
  if (result.kind === 'applied') {
    return `<section id="plan" aria-labelledby="plan-title"><h2 id="plan-title" class="ok">Loaded</h2>${planTable(result.plan)}<p class="note">Running flow-oauth-server instances serve the new providers without a restart.</p></section>`;
  }
  const { plan } = result;
  let next: string;
  if (result.refusal) {
    next =
      `<div class="box error" role="alert" id="plan-refused"><p>Applying this file would be refused (the load API answers 409):</p><p>${e(result.refusal.message)}</p>` +
      `<p>Change the file, or have the connectors named above deleted first.</p><p><code>${e(result.refusal.error)}</code></p></div>`;
  } else if (plan.added.length + plan.updated.length === 0) {
    next = `<p class="box info" id="plan-nothing">Nothing would change: every provider in the file is loaded as it is.</p>`;
  } else {
    next =
      `<form method="post" action="${e(`${basePath}/admin/configuration/apply`)}" id="apply">${csrf(model.csrfToken)}` +
      `<input type="hidden" name="draft" value="${e(result.draftId ?? '')}">` +
      `<button type="submit">Apply this file</button> <span class="note">The same text is applied (kept on the server for 10 minutes); nothing was written yet.</span></form>`;
  }
  return `<section id="plan" aria-labelledby="plan-title"><h2 id="plan-title">Dry-run plan (nothing written yet)</h2>${planTable(plan)}${next}</section>`;
}

function overviewSection(model: AdminPageModel): string {
  const { overview } = model;
  const total = overview.connectorsByStatus.active + overview.connectorsByStatus.needs_reauth + overview.connectorsByStatus.refresh_failed;
  const rejected = overview.providers.filter((p) => p.state === 'credentials_rejected');
  const hours = overview.hours;
  const refreshed = hours?.reduce((sum, h) => sum + h.refreshed, 0);
  const failed = hours?.reduce((sum, h) => sum + h.failed, 0);
  const card = (id: string, title: string, figure: number | string, tone = '') => `<div class="card" id="${id}"><div class="figure${tone}">${e(String(figure))}</div><div>${e(title)}</div></div>`;
  const cards =
    `<div class="cards">` +
    card('count-providers', 'providers', overview.providers.length) +
    card('count-rejected', 'credentials rejected', rejected.length, rejected.length ? ' fail' : '') +
    card('count-connectors', 'connectors', total) +
    card('count-active', 'active', overview.connectorsByStatus.active) +
    card('count-needs-reauth', 'need sign-in', overview.connectorsByStatus.needs_reauth, overview.connectorsByStatus.needs_reauth ? ' fail' : '') +
    card('count-refresh-failed', 'refresh failed', overview.connectorsByStatus.refresh_failed, overview.connectorsByStatus.refresh_failed ? ' fail' : '') +
    card('count-refreshed-24h', 'refreshed, 24 h', refreshed ?? '?') +
    card('count-failed-24h', 'failed refreshes, 24 h', failed ?? '?', failed ? ' fail' : '') +
    `</div>`;
  const rejectedBox = rejected.length
    ? `<div class="box error" id="rejected-providers"><p><strong>Providers whose credentials were rejected</strong>: they refuse Flow's client id or secret, so their connectors' refreshes are paused. Load each with its correct <code>CLIENT_SECRET</code>; the connectors resume by themselves.</p><ul>` +
      rejected.map((p) => `<li><code>${e(p.type)}/${e(p.provider)}</code>: ${e(p.rejectedError ?? 'invalid_client')} since ${when(p.rejectedAt)}</li>`).join('') +
      `</ul></div>`
    : '';
  const chart = hours ? renderRefreshChart(hours) : '<p class="box error">The refresh history did not answer (Redis); the chart is not shown.</p>';
  const byProvider = overview.providers.length
    ? `<table class="list" id="connectors-by-provider"><caption class="note">Connectors by status for each provider</caption><thead><tr><th scope="col">Type</th><th scope="col">Provider</th><th scope="col">State</th>` +
      (Object.keys(STATUS_TITLES) as Array<keyof typeof STATUS_TITLES>).map((s) => `<th scope="col" class="num">${STATUS_TITLES[s]}</th>`).join('') +
      `</tr></thead><tbody>` +
      overview.providers
        .map(
          (p) =>
            `<tr><td><code>${e(p.type)}</code></td><td>${e(p.provider)}</td><td><span class="badge state-${e(p.state)}">${e(p.state)}</span></td>` +
            `<td class="num">${p.connectors.active}</td><td class="num${p.connectors.needs_reauth ? ' fail' : ''}">${p.connectors.needs_reauth}</td><td class="num${p.connectors.refresh_failed ? ' fail' : ''}">${p.connectors.refresh_failed}</td></tr>`,
        )
        .join('') +
      `</tbody></table>`
    : '<p>No provider is loaded yet: load a configuration below.</p>';
  return `<section id="overview" aria-labelledby="overview-title"><h2 id="overview-title">Overview</h2>${cards}${rejectedBox}<h3>Refreshes and failures, last 24 hours</h3>${chart}${byProvider}</section>`;
}

function configurationSection(model: AdminPageModel): string {
  const { basePath } = model;
  return (
    `<section id="configuration" aria-labelledby="configuration-title"><h2 id="configuration-title">Load a configuration file</h2>` +
    `<p><a href="${e(`${basePath}/admin/template`)}" id="download-template" download>Download the template</a> (all connector types, with placeholders; keep only the types you use and fill in each app's client id and secret).</p>` +
    `<form method="post" action="${e(`${basePath}/admin/configuration`)}" enctype="multipart/form-data" class="stack" id="load">${csrf(model.csrfToken)}` +
    `<label for="configuration-text">Paste the file<textarea id="configuration-text" name="text" rows="12" spellcheck="false" autocomplete="off"></textarea></label>` +
    `<label for="configuration-file">or choose the file <span class="hint">(used instead of the pasted text)</span><input type="file" id="configuration-file" name="file" accept=".json,application/json"></label>` +
    `<div><button type="submit">Show the plan</button> <span class="note">A dry run: nothing is written until you apply it.</span></div></form></section>`
  );
}

function providerRow(model: AdminPageModel, type: string, name: string, settings: Record<string, unknown> | undefined, overview: ProviderOverview | undefined): string {
  const { basePath } = model;
  const state = (settings?.['state'] as string | undefined) ?? overview?.state ?? 'ok';
  const clientId = settings?.['CLIENT_ID'] ?? settings?.['CONSUMER_KEY'];
  const counts = overview?.connectors ?? { active: 0, needs_reauth: 0, refresh_failed: 0 };
  const total = counts.active + counts.needs_reauth + counts.refresh_failed;
  const rejected = state === 'credentials_rejected' ? `<div class="warning">${e(String(settings?.['rejectedError'] ?? overview?.rejectedError ?? 'invalid_client'))} since ${when(String(settings?.['rejectedAt'] ?? overview?.rejectedAt ?? ''))}</div>` : '';
  const hidden = `${csrf(model.csrfToken)}<input type="hidden" name="type" value="${e(type)}"><input type="hidden" name="provider" value="${e(name)}">`;
  const owners = overview?.owners ?? [];
  const purge =
    `<details><summary>Purge tokens</summary><form method="post" action="${e(`${basePath}/admin/providers/purge`)}" class="stack">${hidden}` +
    `<label for="purge-user-${e(type)}-${e(name)}">Whose tokens<select id="purge-user-${e(type)}-${e(name)}" name="user"><option value="">All users</option>${owners.map((o) => `<option value="${e(o)}">${e(o)}</option>`).join('')}</select></label>` +
    `<p class="note">Their connectors show "needs sign-in" until their owners reconnect them.</p>` +
    `<div><button type="submit" class="danger small" aria-label="${e(`Purge tokens of ${type}/${name}`)}">Purge tokens</button></div></form></details>`;
  const remove =
    `<details><summary>Delete</summary><form method="post" action="${e(`${basePath}/admin/providers/delete`)}" class="inline">${hidden}` +
    `<p class="note">Refused while a connector uses it.</p><button type="submit" class="danger small" aria-label="${e(`Delete provider ${type}/${name}`)}">Delete provider</button></form></details>`;
  return (
    `<tr id="provider-${e(type)}-${e(name)}"><td><code>${e(type)}</code></td><td>${e(name)}</td><td><code>${e(clientId === undefined ? '' : String(clientId))}</code></td>` +
    `<td><span class="badge state-${e(state)}">${e(state)}</span>${rejected}</td><td class="num">${total}</td><td class="actions">${purge}${remove}</td></tr>`
  );
}

function providersSection(model: AdminPageModel): string {
  const byKey = new Map(model.overview.providers.map((p) => [`${p.type}\u0000${p.provider}`, p]));
  let body: string;
  if (typeof model.providers === 'string') {
    body = `<div class="box error">${e(model.providers)}</div>`;
  } else {
    const rows: string[] = [];
    for (const [type, providers] of Object.entries(model.providers)) {
      for (const [name, settings] of Object.entries(providers)) rows.push(providerRow(model, type, name, settings, byKey.get(`${type}\u0000${name}`)));
    }
    body = rows.length
      ? `<table class="list" id="providers-table"><thead><tr><th scope="col">Type</th><th scope="col">Provider</th><th scope="col">Client id</th><th scope="col">State</th><th scope="col" class="num">Connectors</th><th scope="col">Actions</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '<p>No provider is loaded.</p>';
  }
  return `<section id="providers" aria-labelledby="providers-title"><h2 id="providers-title">Providers</h2><p class="note">Client secrets are never shown; load a provider again to change its secret.</p>${body}</section>`;
}

function usersSection(model: AdminPageModel): string {
  const { basePath } = model;
  const issued = model.issuedKey
    ? `<div class="box success" role="status" id="issued-key"><p>The key of <strong>${e(model.issuedKey.name)}</strong>, shown this once (Flow keeps only its hash): give it to them now.</p>` +
      `<p><output class="secret-once" id="new-user-key">${e(model.issuedKey.key)}</output></p></div>`
    : '';
  let list: string;
  if (typeof model.users === 'string') {
    list = `<div class="box error">${e(model.users)}</div>`;
  } else if (model.users.length === 0) {
    list = '<p>No user yet.</p>';
  } else {
    list =
      `<table class="list" id="users-table"><thead><tr><th scope="col">User</th><th scope="col">Key issued</th><th scope="col" class="num">Connectors</th><th scope="col">Actions</th></tr></thead><tbody>` +
      model.users
        .map(
          (u) =>
            `<tr id="user-${e(u.name)}"><td>${e(u.name)}</td><td>${when(u.createdAt)}</td><td class="num">${model.overview.connectorsByOwner[u.name] ?? 0}</td>` +
            `<td class="actions"><details><summary>Revoke key</summary><form method="post" action="${e(`${basePath}/admin/users/delete`)}" class="inline">${csrf(model.csrfToken)}` +
            `<input type="hidden" name="name" value="${e(u.name)}"><p class="note">The key stops working at once; refused while the user owns connectors.</p>` +
            `<button type="submit" class="danger small" aria-label="${e(`Revoke the key of ${u.name}`)}">Revoke key</button></form></details></td></tr>`,
        )
        .join('') +
      `</tbody></table>`;
  }
  const form =
    `<form method="post" action="${e(`${basePath}/admin/users`)}" class="stack" id="issue-key">${csrf(model.csrfToken)}` +
    `<label for="user-name">New user <span class="hint">(1-64 letters, digits, _ . @ -)</span><input type="text" id="user-name" name="name" autocomplete="off" spellcheck="false"></label>` +
    `<div><button type="submit">Issue a key</button></div></form>`;
  return `<section id="users" aria-labelledby="users-title"><h2 id="users-title">Users and their keys</h2>${issued}${list}${form}</section>`;
}

/** The admin page: what happened (if anything), the overview first, then loading, providers and users. */
export function renderAdminPage(model: AdminPageModel): string {
  return (
    noticeBox(model.notice) +
    configurationResult(model.configuration, model) +
    overviewSection(model) +
    configurationSection(model) +
    providersSection(model) +
    usersSection(model) +
    setupGuideSection(model.basePath) +
    (model.deliveries ? deliveriesSection(model.basePath, model.deliveries) : '') +
    (model.audit ? auditSection(model.basePath, model.audit) : '') +
    (model.extraSections ?? []).join('')
  );
}

/** The admin page's section links (the page header). */
export function adminSectionLinks(basePath: string): string {
  const a = (id: string, text: string) => `<a href="${e(`${basePath}/admin#${id}`)}">${text}</a>`;
  return (
    a('overview', 'Overview') +
    a('configuration', 'Load') +
    a('providers', 'Providers') +
    a('users', 'Users') +
    a('setup-guide', 'Setup guide') +
    a('deliveries', 'Webhooks') +
    a('audit', 'Audit') +
    `<a href="${e(`${basePath}/admin/queues`)}">Queues</a>`
  );
}
