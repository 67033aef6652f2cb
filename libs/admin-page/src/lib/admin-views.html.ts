import { connectorCatalog } from '@flow-oauth/connector-definitions';
import type { ConnectorSetupGuide } from '@flow-oauth/setup-guide';
import { escapeHtml as e } from '@flow-oauth/web-pages';
import { WEBHOOK_EVENTS } from '@flow-oauth/webhooks';
import type { AuditEntryView, WebhookDeliveryView } from './config-loader.client';

/** A list the admin page shows with its filter: the rows, or why they are missing (the API's error). */
export interface FilteredList<T> {
  /** The form's values as the page got them (form field name -> value). */
  form: Record<string, string>;
  rows: T[] | { error: string; message: string };
}

/** The deliveries form's fields and the `GET /api/webhooks/deliveries` parameter each one fills. */
export const DELIVERY_FILTER_FIELDS = { deliveries_status: 'status', deliveries_event: 'event', deliveries_connector: 'connector' } as const;
/** The audit form's fields and the `GET /api/audit` parameter each one fills. */
export const AUDIT_FILTER_FIELDS = { audit_since: 'since', audit_until: 'until', audit_type: 'type', audit_actor: 'actor' } as const;
/** What the page shows when its form says nothing: the last 24 hours. */
export const AUDIT_DEFAULT_SINCE = '24h';
export const DELIVERIES_PAGE_LIMIT = 50;
export const AUDIT_PAGE_LIMIT = 200;

function when(iso: string | null | undefined): string {
  return iso ? `<time datetime="${e(iso)}">${e(iso.slice(0, 19).replace('T', ' '))} UTC</time>` : '';
}

function refusedBox(id: string, rows: { error: string; message: string }): string {
  return `<div class="box error" role="alert" id="${id}-refused"><p>${e(rows.message)}</p><p><code>${e(rows.error)}</code></p></div>`;
}

function textField(id: string, name: string, label: string, value: string | undefined, hint: string): string {
  return `<label for="${id}">${e(label)} <span class="hint">(${e(hint)})</span><input type="text" id="${id}" name="${name}" value="${e(value ?? '')}" autocomplete="off" spellcheck="false"></label>`;
}

function selectField(id: string, name: string, label: string, value: string | undefined, options: readonly string[]): string {
  const opts = ['', ...options].map((o) => `<option value="${e(o)}"${o === (value ?? '') ? ' selected' : ''}>${o === '' ? 'any' : e(o)}</option>`).join('');
  return `<label for="${id}">${e(label)}<select id="${id}" name="${name}">${opts}</select></label>`;
}

/** The setup-guide chooser on the admin page: a plain GET form to `/admin/setup`. */
export function setupGuideSection(basePath: string): string {
  const options = connectorCatalog()
    .map((c) => `<option value="${e(c.type)}">${e(c.title)} (${e(c.type)})</option>`)
    .join('');
  return (
    `<section id="setup-guide" aria-labelledby="setup-guide-title"><h2 id="setup-guide-title">Setup guide per connector type</h2>` +
    `<p class="note">What to register at the third party for this deployment: the exact redirect URI, scopes, grant and PKCE, the file's parameters, the provider's known quirks, and a file fragment to paste.</p>` +
    `<form method="get" action="${e(`${basePath}/admin/setup`)}" class="stack" id="setup-guide-form">` +
    `<label for="setup-type">Connector type<select id="setup-type" name="type">${options}</select></label>` +
    `<div><button type="submit">Show the setup guide</button></div></form></section>`
  );
}

/** Notes joined into one sentence-like line (each without its own final full stop). */
function notes(parts: Array<string | undefined | false>): string {
  return parts
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map((p) => p.replace(/\.$/, ''))
    .join('; ');
}

function row(cells: string[]): string {
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function table(id: string, headings: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p id="${id}-empty">${e(empty)}</p>`;
  return `<table class="list" id="${id}"><thead><tr>${headings.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The body of `/admin/setup?type=`: one connector type's guide (no secret: the loaded providers come redacted and only their client ids are shown). */
export function renderSetupGuide(guide: ConnectorSetupGuide, basePath: string): string {
  const pkce = guide.grant.pkce ? `PKCE ${e(guide.grant.pkce)} (allow it if the provider asks)` : 'no PKCE';
  const grant =
    guide.grant.type === 'oauth1a'
      ? 'OAuth 1.0a (HMAC-SHA1): request token, authorize, access token'
      : `authorization code${guide.grant.refreshTokens ? ' and refresh token' : ''}; ${pkce}; client authentication ${e(guide.grant.clientAuthentication ?? 'client_secret_post')}`;
  const rotation = { yes: 'rotate on every refresh (Flow keeps the newest)', no: 'do not rotate', configurable: 'rotate if the provider is set so (Flow keeps the newest)', unknown: 'may rotate (Flow keeps any it gets)' }[guide.grant.refreshTokenRotates];
  const endpoints = Object.entries(guide.endpoints).map(([name, url]) => row([e(name), `<code>${e(url)}</code>`]));
  const scopes = guide.scopes.map((s) => row([`<code>${e(s.scope)}</code>`, e(s.title)]));
  const parameters = guide.parameters.map((p) =>
    row([`<code>${e(p.name)}</code>`, p.required ? 'required' : 'optional', p.secret ? 'secret (encrypted, never shown)' : '', e(notes([p.description, p.values && `one of ${p.values.join(', ')}`, p.aliases && `also spelt ${p.aliases.join(', ')}`]))]),
  );
  const connection = guide.connectionParameters.map((p) =>
    row([`<code>${e(p.id)}</code>`, e(p.title), p.required ? 'required' : 'optional', e(notes([p.description, p.default !== undefined && `default ${p.default}`, p.providerDefault && `the file's ${p.providerDefault} sets a default`]))]),
  );
  const loaded = guide.loadedProviders.map((p) => row([e(p.provider), `<span class="badge state-${e(p.state)}">${e(p.state)}</span>`, `<code>${e(p.clientId ?? '')}</code>`, `<code>${e(p.scopes.join(guide.scopeSeparator))}</code>`]));
  return (
    `<p><a href="${e(`${basePath}/admin#setup-guide`)}">Back to the admin page</a></p>` +
    `<section id="guide" aria-labelledby="guide-title"><h2 id="guide-title">${e(guide.title)} <code>${e(guide.type)}</code> (${e(guide.protocol)})</h2>` +
    `<h3>1. Register the app</h3><p>At ${e(guide.register.where)}: ${e(guide.register.appKind)}.</p>` +
    `<p>Redirect URI of this deployment (register it exactly):</p><p><output id="redirect-uri" class="secret-once">${e(guide.redirectUri)}</output></p>` +
    `<p id="guide-grant">Grant: ${grant}. Refresh tokens ${e(rotation)}.</p>` +
    `<h3>2. Scopes to enable</h3>` +
    table('guide-scopes', ['Scope', 'What it allows'], scopes, 'This type asks for no scope.') +
    (guide.scopes.length > 1 ? `<p class="note">Requested together, separated by ${guide.scopeSeparator === ' ' ? 'spaces' : `"${e(guide.scopeSeparator)}"`}; a provider's SCOPES parameter replaces them.</p>` : '') +
    `<h3>3. Known quirks</h3><ul id="guide-quirks">${guide.quirks.map((q) => `<li>${e(q.text)} <span class="hint">(${e(q.source)})</span></li>`).join('')}</ul>` +
    `<h3>4. The configuration file</h3>` +
    table('guide-parameters', ['Parameter', '', '', 'Meaning'], parameters, 'No parameter.') +
    `<p>A fragment to paste (replace each &lt;placeholder&gt;, then load it above):</p><pre id="guide-fragment">${e(JSON.stringify(guide.fragment, null, 2))}</pre>` +
    `<h3>5. What each connection asks its user</h3>` +
    table('guide-connection', ['Field', 'Title', '', 'Notes'], connection, 'Nothing: a user picks the provider and signs in.') +
    `<h3>Endpoints</h3>` +
    table('guide-endpoints', ['Endpoint', 'URL'], endpoints, 'They come from the file (AUTH_URL and TOKEN_URL, or a full definition).') +
    `<h3>Providers of this type loaded here</h3>` +
    table('guide-loaded', ['Provider', 'State', 'Client id', 'Scopes asked for'], loaded, 'None yet.') +
    `</section>`
  );
}

/** Webhook deliveries with their outcomes, newest first, and a plain GET form to filter them. */
export function deliveriesSection(basePath: string, list: FilteredList<WebhookDeliveryView>): string {
  const form =
    `<form method="get" action="${e(`${basePath}/admin#deliveries`)}" class="stack" id="deliveries-filter">` +
    selectField('deliveries-status', 'deliveries_status', 'Status', list.form['deliveries_status'], ['pending', 'delivered', 'failed']) +
    selectField('deliveries-event', 'deliveries_event', 'Event', list.form['deliveries_event'], WEBHOOK_EVENTS) +
    textField('deliveries-connector', 'deliveries_connector', 'Connector id', list.form['deliveries_connector'], 'optional') +
    `<div><button type="submit">Filter deliveries</button></div></form>`;
  let body: string;
  if (!Array.isArray(list.rows)) {
    body = refusedBox('deliveries', list.rows);
  } else {
    const rows = list.rows.map((d) => {
      const about = d.payload.connector
        ? `${e(d.payload.connector.label)} <span class="hint">(${e(d.payload.connector.type)}/${e(d.payload.connector.provider)}, ${e(d.payload.connector.owner)})</span>`
        : d.payload.provider
          ? `<code>${e(d.payload.provider.type)}/${e(d.payload.provider.provider)}</code>`
          : e(d.subject);
      const answer = [d.lastStatus === null ? '' : `HTTP ${d.lastStatus}`, d.lastError ?? ''].filter(Boolean).join(': ');
      return `<tr class="delivery-${e(d.status)}"><td>${when(d.createdAt)}</td><td><code>${e(d.event)}</code></td><td>${about}</td><td><span class="badge delivery-${e(d.status)}">${e(d.status)}</span></td><td class="num">${d.attempts}</td><td>${e(answer)}</td><td>${when(d.deliveredAt ?? d.nextAttemptAt)}</td></tr>`;
    });
    body =
      table('deliveries-table', ['Created', 'Event', 'About', 'Status', 'Attempts', 'Last answer', 'Delivered / next attempt'], rows, 'No delivery matches (webhooks go out when FLOW_WEBHOOK_URL is set).') +
      `<p class="note">The newest ${DELIVERIES_PAGE_LIMIT} shown; the API (GET /api/webhooks/deliveries) gives up to 1,000.</p>`;
  }
  return `<section id="deliveries" aria-labelledby="deliveries-title"><h2 id="deliveries-title">Webhook deliveries</h2>${form}${body}</section>`;
}

/** Audit entries (who did what), newest first on the page, and a plain GET form to filter them. */
export function auditSection(basePath: string, list: FilteredList<AuditEntryView>): string {
  const form =
    `<form method="get" action="${e(`${basePath}/admin#audit`)}" class="stack" id="audit-filter">` +
    textField('audit-since', 'audit_since', 'Since', list.form['audit_since'], 'an ISO 8601 time or a duration back from now: 30m, 24h, 7d') +
    textField('audit-type', 'audit_type', 'Type', list.form['audit_type'], 'e.g. connector.created or connector.*') +
    textField('audit-actor', 'audit_actor', 'Actor', list.form['audit_actor'], 'admin, system, service or user:<name>') +
    `<div><button type="submit">Filter the audit trail</button></div></form>`;
  let body: string;
  if (!Array.isArray(list.rows)) {
    body = refusedBox('audit', list.rows);
  } else {
    const rows = [...list.rows].reverse().map((a) => {
      const detail = Object.keys(a.detail).length ? JSON.stringify(a.detail) : '';
      return `<tr class="audit-${e(a.outcome)}"><td>${when(a.at)}</td><td>${e(a.actor)}</td><td><code>${e(a.type)}</code></td><td>${e(a.subject)}</td><td>${e(a.outcome)}</td><td class="detail"><code>${e(detail)}</code></td></tr>`;
    });
    const capped = list.rows.length >= AUDIT_PAGE_LIMIT ? `<p class="note" id="audit-capped">Only the first ${AUDIT_PAGE_LIMIT} entries of this filter are shown: narrow "Since", or read them all with GET /api/audit (or the CLI).</p>` : '';
    body = table('audit-table', ['Time', 'Actor', 'Type', 'Subject', 'Outcome', 'Detail'], rows, 'No entry matches.') + capped;
  }
  return `<section id="audit" aria-labelledby="audit-title"><h2 id="audit-title">Audit trail</h2>${form}${body}</section>`;
}
