// What the CLI prints: config-loader answers turned into tables and error lists. Pure functions of
// the answer; nothing here reads the network or the disk.
'use strict';

const REDACTED = '********';
/** Parameter names whose values are never printed, whatever the server sent. */
const SECRET_NAME = /secret|password|passwd|private/i;

/** Columns padded to their widest cell; a header row and a rule under it. */
function formatTable(headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => (cell === undefined || cell === null ? '' : String(cell))));
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => row[col].length)));
  const line = (row) =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Row statuses in the order a reader scans them: what goes wrong first. */
const PLAN_SECTIONS = [
  ['conflicts', 'conflict'],
  ['added', 'added'],
  ['updated', 'updated'],
  ['unchanged', 'unchanged'],
];

/** The counts line of a plan: "2 added, 1 updated, 3 unchanged, 0 conflicts". */
function planCounts(plan) {
  const n = (key) => (Array.isArray(plan[key]) ? plan[key].length : 0);
  return `${n('added')} added, ${n('updated')} updated, ${n('unchanged')} unchanged, ${plural(n('conflicts'), 'conflict')}`;
}

/** A load answer `{ applied, plan }` as a status | type | provider | connectors table with counts. */
function formatPlan(result) {
  const plan = (result && result.plan) || {};
  const rows = [];
  for (const [key, status] of PLAN_SECTIONS) {
    for (const entry of plan[key] || []) {
      rows.push([status, entry.type, entry.provider, Array.isArray(entry.connectors) ? entry.connectors.join(', ') : '']);
    }
  }
  const conflicts = (plan.conflicts || []).length;
  let heading;
  if (result && result.applied) heading = 'Loaded.';
  else if (conflicts > 0) heading = 'Dry run: nothing was written. The load would be refused: in-use providers may only have their secret changed.';
  else heading = 'Dry run: nothing was written. Loading this file would do the following.';
  const body = rows.length > 0 ? formatTable(['status', 'type', 'provider', 'connectors'], rows) : '(the file names no providers)';
  return `${heading}\n\n${body}\n\n${planCounts(plan)}`;
}

/** A JSON pointer as shown to a person: the root pointer "" reads as "(document)". */
function showPointer(pointer) {
  return pointer === '' || pointer === undefined || pointer === null ? '(document)' : String(pointer);
}

/**
 * An error answer of the API as lines for the terminal: invalid files list `<pointer>  <message>`
 * one per line, conflicts as a table, anything else as `HTTP <status> <code>: <message>`.
 */
function formatApiError(status, body) {
  const answer = body && typeof body === 'object' ? body : {};
  const code = typeof answer.error === 'string' ? answer.error : 'error';
  const message = typeof answer.message === 'string' ? answer.message : typeof body === 'string' && body ? body.slice(0, 300) : '';
  if (code === 'invalid_configuration' && Array.isArray(answer.errors)) {
    const pointers = answer.errors.map((e) => showPointer(e && e.path));
    const width = Math.max(...pointers.map((p) => p.length));
    const lines = answer.errors.map((e, i) => `${pointers[i].padEnd(width)}  ${e && e.message}`);
    return [`Invalid configuration: ${plural(answer.errors.length, 'error')}; nothing was loaded.`, ...lines].join('\n');
  }
  if (code === 'provider_in_use' && Array.isArray(answer.conflicts)) {
    const table = formatTable(
      ['status', 'type', 'provider', 'connectors'],
      answer.conflicts.map((c) => ['conflict', c.type, c.provider, (c.connectors || []).join(', ')]),
    );
    const lead =
      answer.conflicts.length > 0 && answer.plan
        ? 'Refused: in-use providers may only have their secret changed; nothing was written.'
        : `Refused: ${message || 'the provider is in use'}`;
    return `${lead}\n\n${table}${answer.plan ? `\n\n${planCounts(answer.plan)}` : ''}`;
  }
  return `HTTP ${status} ${code}${message ? `: ${message}` : ''}`;
}

/** Replaces the value of every secret-looking parameter (even if the server already did). */
function redactSettings(settings) {
  const out = {};
  for (const [name, value] of Object.entries(settings || {})) {
    out[name] = SECRET_NAME.test(name) && value !== '' ? REDACTED : value;
  }
  return out;
}

function shortValue(value, max = 48) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Status fields the server shows beside each provider's parameters (not settings). */
const STATUS_FIELDS = ['state', 'rejectedAt', 'rejectedError'];

/** A provider's state as one cell: `ok`, or `credentials_rejected (invalid_client since <time>)`. */
function stateCell(settings) {
  const state = settings && typeof settings.state === 'string' ? settings.state : '';
  if (state !== 'credentials_rejected') return state;
  const details = [settings.rejectedError, settings.rejectedAt ? `since ${settings.rejectedAt}` : ''].filter(Boolean).join(' ');
  return details ? `${state} (${details})` : state;
}

/**
 * The loaded configuration (`{ type: { provider: settings } }`) as a table, secrets redacted, with
 * each provider's state; providers whose credentials are rejected are named again at the end with
 * what to do.
 */
function formatConfiguration(configuration) {
  const rows = [];
  const rejected = [];
  for (const [type, providers] of Object.entries(configuration || {})) {
    for (const [provider, settings] of Object.entries(providers || {})) {
      const parameters = Object.fromEntries(Object.entries(settings || {}).filter(([k]) => !STATUS_FIELDS.includes(k)));
      const shown = Object.entries(redactSettings(parameters)).map(([k, v]) => `${k}=${shortValue(v)}`);
      rows.push([type, provider, stateCell(settings), shown.join(' ')]);
      if (settings && settings.state === 'credentials_rejected') rejected.push(`${type}/${provider}`);
    }
  }
  if (rows.length === 0) return 'No OAuth providers are loaded yet (npm run flow-oauth -- load <file>).';
  const types = new Set(rows.map((r) => r[0])).size;
  const table = `${formatTable(['type', 'provider', 'state', 'parameters'], rows)}\n\n`;
  const warning =
    rejected.length > 0
      ? `${plural(rejected.length, 'provider')} refused Flow's client credentials: ${rejected.join(', ')}. ` +
        'Their connectors keep their tokens but are not refreshed; load each with its correct client secret and they resume.\n'
      : '';
  return `${table}${warning}${plural(rows.length, 'provider')} of ${plural(types, 'connector type')}`;
}

/** The connector type catalog as a table. */
function formatConnectorTypes(catalog) {
  const list = Array.isArray(catalog) ? catalog : Object.values(catalog || {});
  const rows = list.map((t) => [
    t.type,
    t.title,
    t.protocol,
    listOf(t.requiredParameters || t.required).join(', '),
    listOf(t.optionalParameters || t.optional).join(', '),
  ]);
  return `${formatTable(['type', 'title', 'protocol', 'required', 'optional'], rows)}\n\n${plural(rows.length, 'connector type')}`;
}

function listOf(value) {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : v && (v.name || v.id))).filter(Boolean);
  if (value && typeof value === 'object') return Object.keys(value);
  return [];
}

/** The users table (names and dates; the API never returns keys). */
function formatUsers(users) {
  const list = Array.isArray(users) ? users : [];
  if (list.length === 0) return 'No users yet (npm run flow-oauth -- users add <name>).';
  return `${formatTable(['name', 'created'], list.map((u) => [u.name, u.createdAt]))}\n\n${plural(list.length, 'user')}`;
}

/**
 * A key rotation answer `{ keyId, resealed, before, after }` as a key id | before | after table,
 * the sealing key marked, and what to do next.
 */
function formatKeyRotation(result) {
  const answer = result || {};
  const resealed = answer.resealed || {};
  const before = answer.before || {};
  const after = answer.after || {};
  const ids = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort((a, b) => (a === answer.keyId) - (b === answer.keyId) || a.localeCompare(b));
  const rows = ids.map((id) => [id, before[id] || 0, after[id] || 0, id === answer.keyId ? 'FLOW_ENCRYPTION_KEY' : '']);
  const heading =
    `Re-sealed with key id ${answer.keyId}: ${plural(resealed.providers || 0, 'provider secret')}, ${plural(resealed.tokens || 0, 'token')}, ` +
    `${plural(resealed.canary || 0, 'key check')} (one transaction).`;
  const others = ids.filter((id) => id !== answer.keyId && after[id] > 0);
  const total = Object.values(after).reduce((n, v) => n + v, 0);
  const next =
    others.length === 0
      ? `All ${plural(total, 'stored value')} use key id ${answer.keyId}. Keep the old key in FLOW_ENCRYPTION_OLD_KEYS for 10 more minutes (sign-ins in progress), then remove it and restart.`
      : `Values under key id(s) ${others.join(', ')} remain: do not remove those keys yet.`;
  const pending = answer.pendingTokenSets;
  // The refreshes' token sets kept in Redis until the database has them: re-sealed too, counted apart.
  const pendingLine =
    pending && (pending.resealed > 0 || pending.unreadable > 0)
      ? `\nPending token sets in Redis: ${pending.resealed} re-sealed${pending.unreadable > 0 ? `, ${pending.unreadable} opened by no key of the ring (left to expire)` : ''}.`
      : '';
  return `${heading}${pendingLine}\n\n${formatTable(['key id', 'before', 'after', ''], rows)}\n\n${next}`;
}

/** A detail object as one short line: `key=value` for plain values, lists joined, a load's counts as a plan line. */
function auditDetail(entry) {
  const detail = (entry && entry.detail) || {};
  if (entry.type === 'configuration.load' && detail.counts) {
    const c = detail.counts;
    return `${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${plural(c.conflicts, 'conflict')}`;
  }
  if (entry.type === 'configuration.load' && typeof detail.errors === 'number') return plural(detail.errors, 'error');
  const parts = [];
  for (const [key, value] of Object.entries(detail)) {
    if (value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value))) continue;
    parts.push(`${key}=${Array.isArray(value) ? value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : v)).join(',') : value}`);
  }
  const text = parts.join(' ');
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/** Audit entries `[{ id, at, actor, type, subject, outcome, detail }]` as a table, oldest first. */
function formatAudit(entries) {
  const list = Array.isArray(entries) ? entries : [];
  if (list.length === 0) return 'No audit entries match.';
  const rows = list.map((e) => [e.at, e.actor, e.type, e.subject, e.outcome, auditDetail(e)]);
  // A full default page (1000) may have more after it.
  const more = list.length >= 1000 ? ` (more may follow: --after ${list[list.length - 1].id})` : '';
  return `${formatTable(['time', 'actor', 'type', 'subject', 'outcome', 'detail'], rows)}\n\n${list.length} ${list.length === 1 ? 'entry' : 'entries'}${more}`;
}

/** Webhook deliveries (newest first) as a table: what was sent, to whom it belongs, and how it went. */
function formatDeliveries(deliveries) {
  const list = Array.isArray(deliveries) ? deliveries : [];
  if (list.length === 0) return 'No webhook deliveries match.';
  const outcome = (d) => (d.status === 'delivered' ? `${d.lastStatus}` : d.lastError || (d.lastStatus ? `HTTP ${d.lastStatus}` : ''));
  const rows = list.map((d) => [d.createdAt, d.event, d.subject, d.sequence, d.status, d.attempts, outcome(d), d.status === 'pending' ? d.nextAttemptAt : d.deliveredAt || d.lastAttemptAt, d.id]);
  const counts = ['pending', 'delivered', 'failed'].map((s) => `${list.filter((d) => d.status === s).length} ${s}`).join(', ');
  return `${formatTable(['created', 'event', 'subject', '#', 'status', 'attempts', 'last answer', 'next / done', 'delivery'], rows)}\n\n${counts}`;
}

module.exports = {
  formatAudit,
  formatDeliveries,
  formatKeyRotation,
  REDACTED,
  formatTable,
  formatPlan,
  planCounts,
  formatApiError,
  formatConfiguration,
  formatConnectorTypes,
  formatUsers,
  redactSettings,
};
