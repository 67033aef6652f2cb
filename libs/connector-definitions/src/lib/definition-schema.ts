import { closestMatch } from './closest-match';
import { DEPLOYMENT_ENVIRONMENTS, environmentParamsField, isDeploymentEnvironment } from './deployment-environments';
import { describeJsonType, isJsonObject, type JsonObject } from './json-value';
import { RETURN_URL_VARIABLE, RUNTIME_VARIABLES, TemplateSyntaxError, parseTemplatePair, templateReferences } from './template-engine';
import { type ValidationError, jsonPointer } from './validation-error';

/**
 * The one schema for connector definitions: the 26 built-ins (checked by a unit test) and the custom
 * definitions of generic providers in the configuration file. Fields it does not know (uid, icon,
 * created_at, published, ...) are kept as they are, except misspelt `oauth2_*` / `oauth1_*` / `env_*`.
 */

/** Definition fields holding an endpoint URL (absolute, or relative to base_url). */
export const URL_FIELDS = [
  'oauth2_auth_url',
  'oauth2_token_url',
  'oauth2_refresh_url',
  'oauth2_validate_url',
  'oauth2_revoke_url',
  'oauth1_request_token_url',
  'oauth1_authorize_url',
  'oauth1_access_token_url',
  'oauth1_revoke_url',
] as const;

const ENVIRONMENT_FIELDS: readonly string[] = DEPLOYMENT_ENVIRONMENTS.map(environmentParamsField);

/** Definition fields holding a template list (arrays of one-key JSON strings). */
export const TEMPLATE_LIST_FIELDS: readonly string[] = [
  'oauth2_auth_query',
  'oauth2_token_data',
  'oauth2_refresh_data',
  'oauth2_validate_headers',
  'oauth2_token_headers',
  'oauth2_params_scope',
  'oauth2_params_other',
  'oauth2_include',
  'oauth1_auth_query',
  ...ENVIRONMENT_FIELDS,
];

const ENUM_FIELDS: Readonly<Record<string, readonly unknown[]>> = {
  oauth_type: ['OAuth2', 'OAuth1'],
  oauth2_revoke_method: ['post_form', 'post_form_client_auth', 'delete_bearer', 'post_bearer', 'delete_basic_json'],
  oauth2_pkce: ['S256', 'plain', false],
  oauth2_client_auth: ['client_secret_post', 'client_secret_basic'],
  refresh_token_rotates: ['yes', 'no', 'configurable', 'unknown'],
  oauth1_signature_method: ['HMAC-SHA1'],
};

const BOOLEAN_FIELDS: readonly string[] = ['oauth2_no_state', 'refreshable', 'generic'];
const STRING_FIELDS: readonly string[] = ['oauth2_scope_separator', 'oauth2_token_path'];

/** Every field the schema knows; other `oauth2_*`, `oauth1_*` and `env_*` keys are reported as misspelt. */
export const DEFINITION_FIELDS: readonly string[] = [
  'name',
  'title',
  'base_url',
  ...URL_FIELDS,
  ...TEMPLATE_LIST_FIELDS,
  ...Object.keys(ENUM_FIELDS),
  ...BOOLEAN_FIELDS,
  ...STRING_FIELDS,
  'oauth2_required',
  'oauth2_token_metadata',
  'oauth2_default_expires_in',
  'provider_parameters',
];

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/i;
const PARAMETER_FORMATS: readonly unknown[] = ['string', 'url', 'hostname', 'scopes'];
const PROVIDER_REFERENCE = /^\{\{\{\s*provider\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\}$/;
const LEADING_REFERENCE = /^(?:\{\{\{[^{}]*\}\}\}|\{[A-Za-z_][A-Za-z0-9_]*\})/;

function quoteAll(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v))).join(', ');
}

/** What every section check of one definition shares: the definition, pointers into it, and the error list. */
interface DefinitionCheck {
  def: JsonObject;
  at: (...tokens: Array<string | number>) => string;
  fail: (path: string, message: string) => void;
}

/** Checks one template string for unknown variables and credentials that name no environment or parameter. */
type TemplateCheck = (template: string, pathOf: () => string) => void;

/** Checks a definition against the schema; every error carries the JSON pointer of the exact entry. */
export function validateDefinition(def: unknown, basePath: string): ValidationError[] {
  const errors: ValidationError[] = [];
  const fail = (path: string, message: string): void => {
    errors.push({ path, message });
  };
  if (!isJsonObject(def)) {
    fail(basePath, `a definition must be a JSON object, not ${describeJsonType(def)}`);
    return errors;
  }
  const check: DefinitionCheck = { def, at: (...tokens) => jsonPointer(basePath, ...tokens), fail };
  // The sections run in this order so that errors are listed as a reader meets the fields.
  checkScalarFields(check);
  checkMisspeltFields(check);
  const providerNames = checkProviderParameters(check);
  const { requiredIds, unpatterned } = checkPerConnectionParameters(check, providerNames);
  // Template lists first for their structure: env keys are variables too.
  const { lists, environmentKeys } = checkTemplateLists(check);
  const checkTemplate = templateChecker(check, new Set([...RUNTIME_VARIABLES, ...requiredIds, ...providerNames, ...environmentKeys]), providerNames);
  for (const { field, entries } of lists) {
    if (field === 'oauth2_params_scope') continue; // scope value -> human title; nothing is rendered
    for (const { index, value } of entries) checkTemplate(value, () => check.at(field, index));
  }
  checkUrls(check, checkTemplate, unpatterned);
  checkProtocolEndpoints(check);
  return errors;
}

/** Identity (name, title, oauth_type), enumerations, booleans, strings, the default lifetime and token metadata. */
function checkScalarFields({ def, at, fail }: DefinitionCheck): void {
  for (const field of ['name', 'title']) {
    const value = def[field];
    if (value === undefined) fail(at(field), `${field} is required`);
    else if (typeof value !== 'string' || value.trim() === '') fail(at(field), `${field} must be a non-empty string`);
  }
  if (def['oauth_type'] === undefined) fail(at('oauth_type'), 'oauth_type is required ("OAuth2" or "OAuth1")');
  for (const [field, allowed] of Object.entries(ENUM_FIELDS)) {
    const value = def[field];
    if (value !== undefined && !allowed.includes(value)) fail(at(field), `${field} must be one of ${quoteAll(allowed)}`);
  }
  for (const field of BOOLEAN_FIELDS) {
    if (def[field] !== undefined && typeof def[field] !== 'boolean') fail(at(field), `${field} must be true or false`);
  }
  for (const field of STRING_FIELDS) {
    const value = def[field];
    if (value !== undefined && (typeof value !== 'string' || value === '')) fail(at(field), `${field} must be a non-empty string`);
  }
  const expiresIn = def['oauth2_default_expires_in'];
  if (expiresIn !== undefined && !(typeof expiresIn === 'number' && Number.isInteger(expiresIn) && expiresIn > 0)) {
    fail(at('oauth2_default_expires_in'), 'oauth2_default_expires_in must be a positive whole number of seconds');
  }
  const metadata = def['oauth2_token_metadata'];
  if (metadata !== undefined) {
    if (!Array.isArray(metadata)) fail(at('oauth2_token_metadata'), 'oauth2_token_metadata must be an array of field names');
    else
      metadata.forEach((entry, i) => {
        if (typeof entry !== 'string' || entry === '') fail(at('oauth2_token_metadata', i), 'a token metadata entry must be a non-empty string');
      });
  }
}

/** `oauth2_*`, `oauth1_*` and `env_*` keys the schema does not know: misspelt, with the closest known one. */
function checkMisspeltFields({ def, at, fail }: DefinitionCheck): void {
  for (const key of Object.keys(def)) {
    if (!/^(?:oauth[12]_|env_)/.test(key) || DEFINITION_FIELDS.includes(key)) continue;
    const suggestion = closestMatch(key, DEFINITION_FIELDS);
    fail(at(key), `unknown definition field ${key}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
  }
}

/** `provider_parameters`; answers the names declared (each a `{{{env.NAME}}}` credential and a template variable). */
function checkProviderParameters({ def, at, fail }: DefinitionCheck): Set<string> {
  const providerNames = new Set<string>();
  const providerParameters = def['provider_parameters'];
  if (providerParameters === undefined) return providerNames;
  if (!Array.isArray(providerParameters)) {
    fail(at('provider_parameters'), 'provider_parameters must be an array');
    return providerNames;
  }
  providerParameters.forEach((parameter: unknown, i) => {
    const path = (): string => at('provider_parameters', i);
    if (!isJsonObject(parameter)) return fail(path(), 'a provider parameter must be an object');
    const name = parameter['name'];
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) fail(jsonPointer(path(), 'name'), 'name must be an identifier (letters, digits, _)');
    else if (providerNames.has(name)) fail(jsonPointer(path(), 'name'), `provider parameter ${name} is declared twice`);
    else providerNames.add(name);
    if (typeof parameter['required'] !== 'boolean') fail(jsonPointer(path(), 'required'), 'required must be true or false');
    if (parameter['secret'] !== undefined && typeof parameter['secret'] !== 'boolean') fail(jsonPointer(path(), 'secret'), 'secret must be true or false');
    if (parameter['format'] !== undefined && !PARAMETER_FORMATS.includes(parameter['format']))
      fail(jsonPointer(path(), 'format'), `format must be one of ${quoteAll(PARAMETER_FORMATS)}`);
    for (const field of ['description', 'strip_suffix']) {
      if (parameter[field] !== undefined && typeof parameter[field] !== 'string') fail(jsonPointer(path(), field), `${field} must be a string`);
    }
    const values = parameter['values'];
    if (values !== undefined && !(Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === 'string' && v !== '')))
      fail(jsonPointer(path(), 'values'), 'values must be a non-empty array of strings');
    const aliases = parameter['aliases'];
    if (aliases !== undefined && !(Array.isArray(aliases) && aliases.every((a) => typeof a === 'string' && a !== '')))
      fail(jsonPointer(path(), 'aliases'), 'aliases must be an array of names');
  });
  return providerNames;
}

/**
 * `oauth2_required` (per-connection values such as tenant): answers their ids, and the ids without a
 * pattern, which must not form part of a URL's host.
 */
function checkPerConnectionParameters({ def, at, fail }: DefinitionCheck, providerNames: ReadonlySet<string>): { requiredIds: Set<string>; unpatterned: Set<string> } {
  const requiredIds = new Set<string>();
  const unpatterned = new Set<string>();
  const required = def['oauth2_required'];
  if (required === undefined) return { requiredIds, unpatterned };
  if (!Array.isArray(required)) {
    fail(at('oauth2_required'), 'oauth2_required must be an array');
    return { requiredIds, unpatterned };
  }
  required.forEach((entry: unknown, i) => {
    const path = (): string => at('oauth2_required', i);
    if (!isJsonObject(entry)) return fail(path(), 'an oauth2_required entry must be an object');
    const id = entry['id'];
    if (typeof id !== 'string' || !IDENTIFIER.test(id)) {
      fail(jsonPointer(path(), 'id'), 'id must match /^[a-z_][a-z0-9_]*$/i (it becomes the template variable {id})');
    } else if (RUNTIME_VARIABLES.includes(id) || id === RETURN_URL_VARIABLE) {
      fail(jsonPointer(path(), 'id'), `id ${id} is reserved for a run-time variable`);
    } else if (requiredIds.has(id)) {
      fail(jsonPointer(path(), 'id'), `id ${id} is used twice`);
    } else {
      requiredIds.add(id);
    }
    if (typeof entry['title'] !== 'string' || entry['title'] === '') fail(jsonPointer(path(), 'title'), 'title must be a non-empty string');
    for (const field of ['description', 'default', 'provider_default', 'pattern', 'pattern_description']) {
      if (entry[field] !== undefined && typeof entry[field] !== 'string') fail(jsonPointer(path(), field), `${field} must be a string`);
    }
    if (entry['optional'] !== undefined && typeof entry['optional'] !== 'boolean') fail(jsonPointer(path(), 'optional'), 'optional must be true or false');
    const providerDefault = entry['provider_default'];
    if (typeof providerDefault === 'string' && !providerNames.has(providerDefault)) {
      fail(jsonPointer(path(), 'provider_default'), `provider_default ${providerDefault} is not a provider parameter of this definition`);
    }
    if (typeof id === 'string' && typeof entry['pattern'] !== 'string') unpatterned.add(id);
    let pattern: RegExp | undefined;
    if (typeof entry['pattern'] === 'string') {
      const source = entry['pattern'];
      try {
        pattern = new RegExp(source);
      } catch {
        fail(jsonPointer(path(), 'pattern'), 'pattern is not a valid regular expression');
      }
      if (pattern && !(source.startsWith('^') && source.endsWith('$'))) {
        fail(jsonPointer(path(), 'pattern'), 'pattern must be anchored (start with ^ and end with $): the value ends up in a URL');
      }
    }
    const fallback = entry['default'];
    if (typeof fallback === 'string') {
      const reference = PROVIDER_REFERENCE.exec(fallback);
      if (reference) {
        if (!providerNames.has(reference[1])) fail(jsonPointer(path(), 'default'), `default refers to ${reference[1]}, which is not a provider parameter`);
      } else if (pattern && !pattern.test(fallback)) {
        fail(jsonPointer(path(), 'default'), `default "${fallback}" does not match the pattern`);
      }
    }
  });
  return { requiredIds, unpatterned };
}

/** The structure of every template list (arrays of one-key JSON strings); answers their entries and the `env_*` keys. */
function checkTemplateLists({ def, at, fail }: DefinitionCheck): {
  lists: Array<{ field: string; entries: Array<{ index: number; value: string }> }>;
  environmentKeys: Set<string>;
} {
  const environmentKeys = new Set<string>();
  const lists: Array<{ field: string; entries: Array<{ index: number; value: string }> }> = [];
  for (const field of TEMPLATE_LIST_FIELDS) {
    const list = def[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      fail(at(field), `${field} must be an array of one-key JSON strings such as "{\\"client_id\\":\\"{client_id}\\"}"`);
      continue;
    }
    const entries: Array<{ index: number; value: string }> = [];
    list.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string') return fail(at(field, index), `a template entry must be a string, not ${describeJsonType(entry)}`);
      try {
        const [key, value] = parseTemplatePair(entry);
        entries.push({ index, value });
        if (ENVIRONMENT_FIELDS.includes(field)) environmentKeys.add(key);
      } catch (error: unknown) {
        fail(at(field, index), error instanceof TemplateSyntaxError ? error.message : 'invalid template entry');
      }
    });
    lists.push({ field, entries });
  }
  return { lists, environmentKeys };
}

/** A checker of template strings against the variables this definition knows. */
function templateChecker({ fail }: DefinitionCheck, known: ReadonlySet<string>, providerNames: ReadonlySet<string>): TemplateCheck {
  // The path is built only when there is an error: thousands of providers are checked per load.
  return (template, pathOf) => {
    if (!template.includes('{')) return;
    const references = templateReferences(template);
    for (const variable of references.variables) {
      if (known.has(variable)) continue;
      const suggestion = closestMatch(variable, [...known]);
      fail(
        pathOf(),
        `unknown template variable {${variable}}${suggestion ? ` (did you mean {${suggestion}}?)` : ''}; ` +
          `known here: ${[...known].join(', ')}, ${RETURN_URL_VARIABLE}`,
      );
    }
    for (const { env, name } of references.credentials) {
      if (!isDeploymentEnvironment(env)) {
        fail(pathOf(), `{{{${env}.${name}}}} must name an environment: one of ${DEPLOYMENT_ENVIRONMENTS.join(', ')}`);
      } else if (!providerNames.has(name)) {
        fail(pathOf(), `{{{${env}.${name}}}} must name a provider parameter: one of ${[...providerNames].join(', ') || '(none declared)'}`);
      }
    }
  };
}

/** base_url and every endpoint URL: usable, their templates known, and no pattern-less user value in a host. */
function checkUrls({ def, at, fail }: DefinitionCheck, checkTemplate: TemplateCheck, unpatterned: ReadonlySet<string>): void {
  const baseUrl = def['base_url'];
  const hasBase = typeof baseUrl === 'string' && baseUrl !== '';
  if (baseUrl !== undefined) {
    if (typeof baseUrl !== 'string' || baseUrl === '') fail(at('base_url'), 'base_url must be a non-empty string');
    else {
      const problem = urlProblem(baseUrl, 'base_url', true);
      if (problem) fail(at('base_url'), problem);
      checkTemplate(baseUrl, () => at('base_url'));
    }
  }
  for (const field of URL_FIELDS) {
    const value = def[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') {
      fail(at(field), `${field} must be a non-empty string`);
      continue;
    }
    const problem = urlProblem(value, field, hasBase);
    if (problem) fail(at(field), problem);
    checkTemplate(value, () => at(field));
  }
  // A user-supplied value in a host decides where the client secret is sent: it needs a pattern.
  for (const field of ['base_url', ...URL_FIELDS]) {
    const value = def[field];
    if (typeof value !== 'string') continue;
    for (const id of hostVariables(value)) {
      if (unpatterned.has(id)) {
        fail(at(field), `{${id}} is part of the host in ${field}, so its oauth2_required entry needs a pattern (e.g. "^[a-z0-9-]+$") that keeps users from choosing another host`);
      }
    }
  }
}

/** The endpoints each protocol needs (a generic provider's are checked with the file, where they may come from AUTH_URL ...). */
function checkProtocolEndpoints({ def, at, fail }: DefinitionCheck): void {
  if (def['generic'] === true) return;
  const needed =
    def['oauth_type'] === 'OAuth1'
      ? ['oauth1_request_token_url', 'oauth1_authorize_url', 'oauth1_access_token_url']
      : def['oauth_type'] === 'OAuth2'
        ? ['oauth2_auth_url', 'oauth2_token_url']
        : [];
  for (const field of needed) if (def[field] === undefined) fail(at(field), `${field} is required for ${String(def['oauth_type'])}`);
}

/**
 * Names of `{variables}` that decide a URL template's host: those inside the authority of an
 * absolute URL, and a variable the template starts with (`{host}/token`), which supplies scheme
 * and host itself.
 */
function hostVariables(url: string): string[] {
  const leading = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(url);
  if (leading) return [leading[1]];
  const match = /^https?:\/\/([^/?#]*)/i.exec(url);
  if (!match) return [];
  return [...match[1].matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
}

/** Why a definition URL is unusable, or undefined when it is fine. */
function urlProblem(value: string, field: string, hasBase: boolean): string | undefined {
  if (/\s/.test(value)) return `${field} must not contain spaces`;
  if (LEADING_REFERENCE.test(value)) return undefined; // e.g. {base_url}/as/token.oauth2, checked once rendered
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
    return /^https?:\/\/[^/?#\s]+/i.test(value) ? undefined : `${field} must be an http(s) URL`;
  }
  if (value.startsWith('//')) return `${field} must name its scheme (https://...)`;
  if (field === 'base_url') return 'base_url must be an absolute http(s) URL';
  return hasBase ? undefined : `${field} is relative ("${value}") but the definition has no base_url`;
}
