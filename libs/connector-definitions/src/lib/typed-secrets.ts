import { TEMPLATE_LIST_FIELDS, URL_FIELDS } from './definition-schema';
import { MAX_CONFIGURATION_DEPTH } from './strict-json';
import { literalText, parseTemplatePair, TemplateSyntaxError } from './template-engine';
import { type ValidationError, jsonPointer } from './validation-error';

/**
 * Secrets typed into a generic provider's own definition fields. Only CLIENT_SECRET (CONSUMER_SECRET)
 * is sealed at rest and redacted; everything else a generic provider brings (its custom definition)
 * is stored as it is and shown by GET /api/oauth-configurations. So a secret written anywhere else
 * is refused at load, naming its JSON pointer and never its value:
 * - a key named like a secret (`client_secret`, `Client-Secret`, `password`, `api_key`, ... in any
 *   case, at any depth) holding a literal value;
 * - a template entry for such a key (`{"client_secret":"abc"}`) whose value is not only references
 *   (`{client_secret}`, `{{{production.CLIENT_SECRET}}}`), and an `Authorization` header template
 *   that is more than a scheme and references (`Basic abc=`);
 * - a URL carrying such a query parameter with a literal value, or credentials before `@`.
 * Refusing, rather than sealing these too, keeps one sealed place per provider (its secrets), lets
 * a rotated secret go through the secret-only update rule, and points the operator at the form that
 * works: CLIENT_SECRET plus `{client_secret}` in the templates.
 * The same walk redacts providers stored before this check existed (the redacted read).
 */

/** What a redacted value reads as in API answers. */
const REDACTED = '********';

// Compared lower-cased, without `_`, `-`, `.` or spaces.
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'clientsecret',
  'consumersecret',
  'secret',
  'sharedsecret',
  'apisecret',
  'appsecret',
  'password',
  'passwd',
  'apikey',
  'xapikey',
  'privatekey',
  'signingkey',
  'clientassertion',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'tokensecret',
  'oauthtokensecret',
]);

// Declared endpoint parameters of a generic provider (the seed's simple form) and definition URL fields.
const URL_KEYS: ReadonlySet<string> = new Set(['base_url', ...URL_FIELDS, 'AUTH_URL', 'TOKEN_URL', 'REFRESH_URL', 'VALIDATE_URL', 'REVOKE_URL']);
// oauth2_params_scope maps scope names (Salesforce has one called refresh_token) to titles: never sent, never a secret.
const TEMPLATE_KEYS: ReadonlySet<string> = new Set(TEMPLATE_LIST_FIELDS.filter((field) => field !== 'oauth2_params_scope'));
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;
// What may surround references in an Authorization header template: an auth scheme (Bearer, Basic, OAuth ...).
const AUTH_SCHEME_ONLY = /^\s*(?:[A-Za-z][A-Za-z0-9._-]*\s*)?$/;

const ADVICE = "a generic provider's secret goes in CLIENT_SECRET (encrypted at rest, shown as ********); templates refer to it as {client_secret} or {{{production.CLIENT_SECRET}}}";

/** Whether a key names a secret (`client_secret`, `Client-Secret`, `API_KEY`, ...). */
export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase().replace(/[\s._-]/g, ''));
}

/**
 * Looks through the stored parameters of a provider for secrets typed in the clear. `pathOf` gives
 * the JSON pointer of a parameter as the file wrote it. Returns an error per finding (never holding
 * the value) and a copy of the parameters with each such value replaced by "********".
 */
export function findTypedSecrets(parameters: Record<string, unknown>, pathOf: (key: string) => string): { errors: ValidationError[]; redacted: Record<string, unknown> } {
  const errors: ValidationError[] = [];
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parameters)) {
    const path = pathOf(key);
    if (TEMPLATE_KEYS.has(key) && Array.isArray(value)) redacted[key] = value.map((entry, i) => templateEntry(entry, jsonPointer(path, i), errors));
    else if (URL_KEYS.has(key) && typeof value === 'string') redacted[key] = url(value, key, path, errors);
    else redacted[key] = anyValue(key, value, path, errors, 0);
  }
  return { errors, redacted };
}

/** The parameters with every secret typed in the clear replaced by "********" (for reads of stored providers). */
export function redactTypedSecrets(parameters: Record<string, unknown>): Record<string, unknown> {
  return findTypedSecrets(parameters, (key) => jsonPointer('', key)).redacted;
}

function isLiteral(value: unknown): boolean {
  if (typeof value === 'number') return true;
  return typeof value === 'string' && literalText(value).trim() !== '';
}

function anyValue(key: string, value: unknown, path: string, errors: ValidationError[], depth: number): unknown {
  if (isSecretName(key) && isLiteral(value)) {
    errors.push({ path, message: `${key} holds a secret (by its name) that would be stored and shown in clear: ${ADVICE}` });
    return REDACTED;
  }
  // The parsers cap nesting already; this only keeps a hand-built value from recursing without end.
  if (depth > MAX_CONFIGURATION_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, i) => anyValue('', item, jsonPointer(path, i), errors, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(value)) out[k] = anyValue(k, item, jsonPointer(path, k), errors, depth + 1);
  return out;
}

function templateEntry(entry: unknown, path: string, errors: ValidationError[]): unknown {
  if (typeof entry !== 'string') return entry;
  let key: string;
  let template: string;
  try {
    [key, template] = parseTemplatePair(entry);
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return entry; // the schema reports it
    throw error;
  }
  const literal = literalText(template);
  if (isSecretName(key) && literal.trim() !== '') {
    errors.push({ path, message: `the template entry "${key}" holds a literal value where a secret goes, which would be stored and shown in clear: ${ADVICE}` });
  } else if (key.toLowerCase() === 'authorization' && (literal === template || !AUTH_SCHEME_ONLY.test(literal))) {
    errors.push({ path, message: `the template entry "${key}" holds literal credentials, which would be stored and shown in clear: write a scheme and references only, e.g. "Bearer {access_token}"; ${ADVICE}` });
  } else {
    return entry;
  }
  return JSON.stringify({ [key]: REDACTED });
}

function url(value: string, key: string, path: string, errors: ValidationError[]): string {
  let out = value;
  const userinfo = USERINFO.exec(out);
  if (userinfo && literalText(userinfo[2]) !== '') {
    errors.push({ path, message: `${key} carries credentials before "@", which would be stored and shown in clear: ${ADVICE}` });
    out = `${userinfo[1]}${REDACTED}@${out.slice(userinfo[0].length)}`;
  }
  const query = out.indexOf('?');
  if (query < 0) return out;
  const hash = out.indexOf('#', query);
  const end = hash < 0 ? out.length : hash;
  const pairs = out.slice(query + 1, end).split('&');
  let changed = false;
  const kept = pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    const name = pair.slice(0, eq);
    if (!isSecretName(safeDecode(name)) || literalText(safeDecode(pair.slice(eq + 1))).trim() === '') return pair;
    errors.push({ path, message: `${key} carries the query parameter ${safeDecode(name)} with a literal value, which would be stored and shown in clear: ${ADVICE}` });
    changed = true;
    return `${name}=${REDACTED}`;
  });
  return changed ? `${out.slice(0, query + 1)}${kept.join('&')}${out.slice(end)}` : out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
