import { closestMatch } from './closest-match';
import { splitScopes } from './connection-variables';
import { validateDefinition } from './definition-schema';
import type { ConnectorDefinition, ConnectorType, ProviderParameter } from './definition.types';
import { CONNECTOR_TYPES, getDefinition, isConnectorType } from './definitions/registry';
import { environmentParams, scopeMap } from './definitions/template-lists';
import { parseJson } from './strict-json';
import { FORBIDDEN_KEYS } from './template-engine';
import { findTypedSecrets, isSecretName } from './typed-secrets';
import { type ValidationError, jsonPointer } from './validation-error';

/**
 * The configuration file (LoadOAuthConfiguration input):
 * `{ "<connector type>": { "<provider name>": { <parameters> } } }`. Validation collects every
 * error with its JSON pointer and never echoes a secret value.
 */

/** One named provider of the file, validated and normalised. */
export interface ProviderSettings {
  type: ConnectorType;
  name: string;
  /** Every non-secret parameter, aliases normalised (BASE_URL -> base_url); for generic types also the custom definition fields. */
  parameters: Record<string, unknown>;
  /** CLIENT_SECRET / CONSUMER_SECRET. */
  secrets: Record<string, string>;
  /** Effective definition: built-in, built from AUTH_URL/TOKEN_URL/..., or the custom one from the file. */
  definition: ConnectorDefinition;
}

/** Longest provider name accepted (documented rule). */
export const MAX_PROVIDER_NAME_LENGTH = 64;

// Likely spellings of a connector type that are too far from it for an edit-distance match.
const TYPE_ALIASES: Readonly<Record<string, ConnectorType>> = {
  gmail: 'google_gmail',
  google_mail: 'google_gmail',
  office365: 'microsoft_365',
  office_365: 'microsoft_365',
  outlook: 'microsoft_365',
  excel_online: 'excel',
  translate: 'google_translator',
  google_translate: 'google_translator',
  openapi: 'swagger',
  sfdc: 'salesforce',
  rvs: 'integrity',
};

// Endpoint parameters of a generic provider and the definition field each one fills.
const GENERIC_ENDPOINTS: ReadonlyArray<readonly [parameter: string, field: string]> = [
  ['AUTH_URL', 'oauth2_auth_url'],
  ['TOKEN_URL', 'oauth2_token_url'],
  ['REFRESH_URL', 'oauth2_refresh_url'],
  ['VALIDATE_URL', 'oauth2_validate_url'],
  ['REVOKE_URL', 'oauth2_revoke_url'],
];

// An OAuth 1.0a generic provider (`"oauth_type": "OAuth1"`): the endpoints it must give, and what each is.
const OAUTH1_REQUIRED_ENDPOINTS: ReadonlyArray<readonly [field: string, what: string]> = [
  ['oauth1_request_token_url', 'the request-token (temporary credentials) endpoint'],
  ['oauth1_authorize_url', 'the authorization page the user is sent to'],
  ['oauth1_access_token_url', 'the access-token (token credentials) endpoint'],
];

// Settings that only an OAuth 1.0a provider uses: refused on an OAuth 2 generic provider.
const OAUTH1_ONLY_FIELDS: readonly string[] = [
  'oauth1_request_token_url',
  'oauth1_authorize_url',
  'oauth1_access_token_url',
  'oauth1_revoke_url',
  'oauth1_auth_query',
  'oauth1_signature_method',
];

// Endpoints that only an OAuth 2 provider uses (VALIDATE_URL / oauth2_validate_url serve both): refused on an OAuth1 one.
const OAUTH2_ONLY_ENDPOINTS: ReadonlyArray<readonly [parameter: string, field: string]> = GENERIC_ENDPOINTS.filter(([parameter]) => parameter !== 'VALIDATE_URL');

// OAuth 1.0a spellings of a generic provider's credentials, normalised to CLIENT_ID / CLIENT_SECRET.
const OAUTH1_CREDENTIAL_ALIASES: ReadonlyArray<readonly [alias: string, parameter: string]> = [
  ['CONSUMER_KEY', 'CLIENT_ID'],
  ['CONSUMER_SECRET', 'CLIENT_SECRET'],
];

// `{consumer_key}` / `{consumer_secret}` in an OAuth1 generic provider's templates, as in the trello definition.
const OAUTH1_ENVIRONMENT_CREDENTIALS: ReadonlyArray<readonly [variable: string, parameter: string]> = [
  ['client_id', 'CLIENT_ID'],
  ['client_secret', 'CLIENT_SECRET'],
  ['consumer_key', 'CLIENT_ID'],
  ['consumer_secret', 'CLIENT_SECRET'],
];

/** The protocol of a generic provider: its `oauth_type` (OAuth2 when left out); undefined when the value is not one. */
function genericProtocol(oauthType: unknown): 'OAuth2' | 'OAuth1' | undefined {
  if (oauthType === undefined || oauthType === 'OAuth2') return 'OAuth2';
  return oauthType === 'OAuth1' ? 'OAuth1' : undefined;
}

// Keys of a generic provider that a file may not set: they would change how the provider is stored.
const RESERVED_DEFINITION_KEYS: ReadonlySet<string> = new Set(['provider_parameters', 'generic']);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function has(object: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Parses the text of a configuration file (tolerant of pasted snippets; strict about duplicate and prototype keys). */
export function parseConfigurationText(text: string): { value?: unknown; errors: ValidationError[] } {
  return parseJson(text, { tolerant: true });
}

/** Names of the parameters of a type that are secrets (encrypted at rest, redacted in answers). */
export function secretParameterNames(type: ConnectorType): string[] {
  return (getDefinition(type).provider_parameters ?? []).filter((p) => p.secret).map((p) => p.name);
}

/**
 * The definition a provider of `type` runs with, from its stored (non-secret) parameters: the
 * built-in one with the SCOPES override applied, or for generic types the skeleton completed by the
 * provider's AUTH_URL/TOKEN_URL/... or its custom definition fields.
 */
export function buildEffectiveDefinition(type: ConnectorType, parameters: Record<string, unknown>): ConnectorDefinition {
  return composeDefinition(type, parameters).definition;
}

function scopeOverride(value: unknown): string[] | undefined {
  const scopes = splitScopes(value);
  return scopes.length > 0 ? scopeMap(scopes.map((s) => [s, s])) : undefined;
}

/** The effective definition and, for generic types, which parameter filled which definition field. */
function composeDefinition(type: ConnectorType, parameters: Record<string, unknown>): { definition: ConnectorDefinition; sources: Map<string, string> } {
  const builtIn = getDefinition(type);
  const sources = new Map<string, string>();
  const scopes = has(parameters, 'SCOPES') ? scopeOverride(parameters['SCOPES']) : undefined;
  if (!builtIn.generic) {
    return { definition: scopes ? { ...builtIn, oauth2_params_scope: scopes } : builtIn, sources };
  }
  const definition: ConnectorDefinition = { ...builtIn };
  const declared = new Set((builtIn.provider_parameters ?? []).map((p) => p.name));
  for (const [key, value] of Object.entries(parameters)) {
    if (declared.has(key) || RESERVED_DEFINITION_KEYS.has(key) || FORBIDDEN_KEYS.has(key)) continue;
    definition[key] = value;
  }
  definition.name = type;
  for (const [parameter, field] of GENERIC_ENDPOINTS) {
    if (typeof parameters[parameter] === 'string' && !has(parameters, field)) {
      definition[field] = parameters[parameter];
      sources.set(field, parameter);
    }
  }
  if (scopes && !has(parameters, 'oauth2_params_scope')) {
    definition.oauth2_params_scope = scopes;
    sources.set('oauth2_params_scope', 'SCOPES');
  }
  if (definition.oauth_type !== 'OAuth1' && !has(parameters, 'oauth2_client_auth') && !has(parameters, 'oauth2_token_data') && !has(parameters, 'oauth2_refresh_data')) {
    // No templates of its own: authenticate the way every OAuth 2 server must accept (RFC 6749
    // section 2.3.1: HTTP Basic). A definition whose own token templates carry client_secret (the
    // seed's odata sample) keeps sending it in the body, as its templates say.
    definition.oauth2_client_auth = 'client_secret_basic';
  }
  if (definition.oauth_type === 'OAuth1') {
    // OAuth 1.0a tokens do not expire and are never refreshed; templates may name {consumer_key} as trello's do.
    if (!has(parameters, 'refreshable')) definition.refreshable = false;
    for (const [field, list] of Object.entries(environmentParams(OAUTH1_ENVIRONMENT_CREDENTIALS))) {
      if (!has(parameters, field)) definition[field] = list;
    }
  }
  return { definition, sources };
}

/** Validates a parsed configuration document; collects every error and returns the valid providers. */
export function validateConfiguration(doc: unknown): { providers: ProviderSettings[]; errors: ValidationError[] } {
  const errors: ValidationError[] = [];
  const providers: ProviderSettings[] = [];
  if (!isObject(doc)) {
    errors.push({
      path: '',
      message: `the configuration must be a JSON object of connector types, e.g. {"google_gmail": {"Gmail": {"CLIENT_ID": "...", "CLIENT_SECRET": "..."}}}, not ${describe(doc)}`,
    });
    return { providers, errors };
  }
  const bare = bareDefinitionError(doc);
  if (bare) return { providers, errors: [bare] };

  for (const [typeKey, providersValue] of Object.entries(doc)) {
    const typePath = jsonPointer('', typeKey);
    if (FORBIDDEN_KEYS.has(typeKey)) {
      errors.push({ path: typePath, message: `the key "${typeKey}" is not allowed` });
      continue;
    }
    if (!isConnectorType(typeKey)) {
      errors.push({ path: typePath, message: unknownTypeMessage(typeKey) });
      continue;
    }
    const type = typeKey;
    if (!isObject(providersValue)) {
      errors.push({ path: typePath, message: `${type} must be an object of named providers, e.g. {"${type}": {"<provider name>": {...}}}, not ${describe(providersValue)}` });
      continue;
    }
    if (parametersOneLevelTooHigh(type, providersValue)) {
      errors.push({
        path: typePath,
        message: `${type} must hold named providers, e.g. {"${type}": {"<provider name>": {"CLIENT_ID": "...", ...}}}: the parameters are one level too high`,
      });
      continue;
    }
    for (const [name, settings] of Object.entries(providersValue)) {
      const path = jsonPointer(typePath, name);
      if (FORBIDDEN_KEYS.has(name)) {
        errors.push({ path, message: `the key "${name}" is not allowed` });
        continue;
      }
      const nameProblem = providerNameProblem(type, name);
      if (nameProblem) errors.push({ path, message: nameProblem });
      if (!isObject(settings)) {
        errors.push({ path, message: `provider "${name}" must be an object of parameters, not ${describe(settings)}` });
        continue;
      }
      const result = validateProvider(type, name, settings, path);
      errors.push(...result.errors);
      if (!nameProblem && result.errors.length === 0 && result.settings) providers.push(result.settings);
    }
  }
  return { providers, errors };
}

function bareDefinitionError(doc: JsonObject): ValidationError | undefined {
  const keys = Object.keys(doc);
  if (keys.some((key) => isConnectorType(key))) return undefined;
  if (!keys.some((key) => key === 'name' || key === 'oauth_type' || key.startsWith('oauth2_') || key.startsWith('oauth1_'))) return undefined;
  const name = doc['name'];
  const type = typeof name === 'string' && isConnectorType(name) && getDefinition(name).generic ? name : 'odata';
  return {
    path: '',
    message:
      `this is a connector definition, not a configuration file: wrap it as ` +
      `{"${type}": {"<provider name>": {...definition, "CLIENT_ID": "...", "CLIENT_SECRET": "..."}}} ` +
      `(custom definitions are accepted for odata, soap and swagger)`,
  };
}

function unknownTypeMessage(key: string): string {
  const exact = CONNECTOR_TYPES.find((type) => type.toLowerCase() === key.toLowerCase());
  const aliases: Record<string, string> = { ...TYPE_ALIASES };
  for (const type of CONNECTOR_TYPES) aliases[getDefinition(type).title] = type;
  const suggestion = exact ?? closestMatch(key, CONNECTOR_TYPES, aliases);
  return (
    `unknown connector type "${key}"` +
    (suggestion ? `: did you mean "${suggestion}"?` : `: valid types are ${CONNECTOR_TYPES.join(', ')}`) +
    ' Connector type keys must be used exactly as documented.'
  );
}

function parametersOneLevelTooHigh(type: ConnectorType, providers: JsonObject): boolean {
  const names = new Set<string>();
  for (const parameter of getDefinition(type).provider_parameters ?? []) {
    names.add(parameter.name);
    for (const alias of parameter.aliases ?? []) names.add(alias);
  }
  return Object.entries(providers).some(([key, value]) => names.has(key) && !isObject(value));
}

function providerNameProblem(type: ConnectorType, name: string): string | undefined {
  if (name.trim() === '') return 'the provider name must not be empty';
  if (name.length > MAX_PROVIDER_NAME_LENGTH) return `the provider name is ${name.length} characters long; at most ${MAX_PROVIDER_NAME_LENGTH} are allowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the provider name must not contain control characters';
  if (type === 'google_gmail' && name.trim().toLowerCase() === 'google') return 'a Gmail provider cannot be named "Google"; choose another name such as "Gmail"';
  return undefined;
}

interface CheckedValue {
  value?: unknown;
  error?: string;
}

/** A value with < or > is a template placeholder left in; a secret's value is never shown. */
function placeholderMessage(key: string, shownValue?: string): string {
  const what = shownValue === undefined ? 'a template placeholder (a value with < or >)' : `the template placeholder "${truncate(shownValue)}"`;
  return `${key} still holds ${what}: put the real value in`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

const ABSOLUTE_HTTP_URL = /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const PLACEHOLDER = /[<>]/;

/** Checks and normalises one declared parameter value. Secret values never appear in a message. */
function checkParameterValue(parameter: ProviderParameter, key: string, value: unknown): CheckedValue {
  // A URL with `user:password@` carries credentials: never echoed either.
  const show = (text: string): string => (parameter.secret || text.includes('@') ? '' : ` (got "${truncate(text)}")`);
  let text: string;
  if (parameter.format === 'scopes' && Array.isArray(value)) {
    if (!value.every((s) => typeof s === 'string')) return { error: `${key} must be a string of scopes or an array of strings` };
    text = value.join(' ');
  } else if (typeof value !== 'string') {
    return { error: `${key} must be a string, not ${describe(value)}` };
  } else {
    text = value;
  }
  if (text.trim() === '') return { error: parameter.required ? `${key} is required and must not be empty` : `${key} is empty: give a value or leave it out` };
  if (PLACEHOLDER.test(text)) {
    return { error: parameter.secret ? placeholderMessage(key) : placeholderMessage(key, text) };
  }
  if (text !== text.trim()) return { error: `${key} has spaces at the start or the end` };
  switch (parameter.format) {
    case 'url':
      if (!ABSOLUTE_HTTP_URL.test(text)) return { error: `${key} must be an absolute http(s) URL${show(text)}` };
      break;
    case 'hostname':
      if (!HOST_NAME.test(text)) return { error: `${key} must be a host name such as login.salesforce.com, without https:// or a path${show(text)}` };
      break;
    default:
      break;
  }
  if (parameter.strip_suffix) {
    let stripped = text.replace(/\/+$/, '');
    if (stripped.endsWith(parameter.strip_suffix)) stripped = stripped.slice(0, -parameter.strip_suffix.length).replace(/\/+$/, '');
    if (!ABSOLUTE_HTTP_URL.test(stripped)) return { error: `${key} must be an absolute http(s) URL${show(text)}` };
    text = stripped;
  }
  return { value: text };
}

function validateProvider(
  type: ConnectorType,
  name: string,
  settings: JsonObject,
  path: string,
): { settings?: ProviderSettings; errors: ValidationError[] } {
  const errors: ValidationError[] = [];
  const fail = (at: string, message: string): void => {
    errors.push({ path: at, message });
  };
  const builtIn = getDefinition(type);
  const declared = builtIn.provider_parameters ?? [];
  const protocol = builtIn.generic ? genericProtocol(settings['oauth_type']) : builtIn.oauth_type;
  const byKey = new Map<string, ProviderParameter>();
  const aliasesOf = new Map<string, string[]>();
  for (const parameter of declared) {
    byKey.set(parameter.name, parameter);
    aliasesOf.set(parameter.name, [...(parameter.aliases ?? [])]);
    for (const alias of parameter.aliases ?? []) byKey.set(alias, parameter);
  }
  // A generic OAuth 1.0a provider may name its credentials as OAuth 1.0a does (consumer key and secret).
  for (const [alias, name] of OAUTH1_CREDENTIAL_ALIASES) {
    const parameter = byKey.get(name);
    if (!builtIn.generic || protocol === 'OAuth2' || !parameter) continue;
    byKey.set(alias, parameter);
    aliasesOf.get(name)?.push(alias);
  }
  const oauth1Alias = new Map(OAUTH1_CREDENTIAL_ALIASES);
  const allowed = [...byKey.keys()];
  const parameters: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const writtenAs = new Map<string, string>();

  for (const [key, value] of Object.entries(settings)) {
    const keyPath = jsonPointer(path, key);
    if (FORBIDDEN_KEYS.has(key)) {
      fail(keyPath, `the key "${key}" is not allowed`);
      continue;
    }
    const parameter = byKey.get(key);
    if (!parameter) {
      const aliasOf = builtIn.generic ? oauth1Alias.get(key) : undefined;
      if (aliasOf !== undefined) {
        // Never kept as a plain (unencrypted, unredacted) setting of an OAuth 2 provider.
        fail(keyPath, `${key} is the OAuth 1.0a name of ${aliasOf}: use ${aliasOf}, or set "oauth_type": "OAuth1" for an OAuth 1.0a provider`);
        continue;
      }
      if (builtIn.generic) {
        if (RESERVED_DEFINITION_KEYS.has(key)) fail(keyPath, `${key} cannot be set in the configuration file`);
        else if (typeof value === 'string' && PLACEHOLDER.test(value)) {
          fail(keyPath, isSecretName(key) ? placeholderMessage(key) : placeholderMessage(key, value));
        } else parameters[key] = value;
        continue;
      }
      const suggestion = closestMatch(key, allowed);
      fail(keyPath, `unknown parameter ${key} for ${type}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; allowed: ${allowed.join(', ')}`);
      continue;
    }
    const earlier = writtenAs.get(parameter.name);
    if (earlier !== undefined) {
      fail(keyPath, `${parameter.name} is given twice (as ${earlier} and as ${key})`);
      continue;
    }
    writtenAs.set(parameter.name, key);
    const checked = checkParameterValue(parameter, key, value);
    if (checked.error !== undefined) {
      fail(keyPath, checked.error);
      continue;
    }
    if (parameter.secret) secrets[parameter.name] = checked.value as string;
    else parameters[parameter.name] = checked.value;
  }

  for (const parameter of declared) {
    if (!parameter.required || writtenAs.has(parameter.name)) continue;
    const aliases = aliasesOf.get(parameter.name) ?? [];
    const also = aliases.length ? ` (also accepted as ${aliases.join(', ')})` : '';
    fail(jsonPointer(path, parameter.name), `${parameter.name} is required${also}`);
  }

  // A provider-level default for a per-connection value must pass the same check as user input.
  for (const entry of builtIn.oauth2_required ?? []) {
    const source = entry.provider_default;
    if (!source || entry.pattern === undefined || typeof parameters[source] !== 'string') continue;
    if (!new RegExp(entry.pattern).test(parameters[source] as string)) {
      fail(jsonPointer(path, writtenAs.get(source) ?? source), `${source} must be ${entry.pattern_description ?? `a value matching ${entry.pattern}`}`);
    }
  }

  const { definition, sources } = composeDefinition(type, parameters);
  if (builtIn.generic) errors.push(...genericDefinitionErrors(type, protocol, settings, parameters, path, writtenAs, definition, sources));
  if (errors.length > 0) return { errors };
  return { settings: { type, name, parameters, secrets, definition }, errors };
}

/** Endpoints and custom definition of a generic provider. */
function genericDefinitionErrors(
  type: ConnectorType,
  protocol: 'OAuth2' | 'OAuth1' | undefined,
  settings: JsonObject,
  parameters: JsonObject,
  path: string,
  writtenAs: Map<string, string>,
  definition: ConnectorDefinition,
  sources: Map<string, string>,
): ValidationError[] {
  const errors: ValidationError[] = [];
  const fail = (at: string, message: string): void => {
    errors.push({ path: at, message });
  };
  // Only CLIENT_SECRET is sealed: a secret typed anywhere else in the definition is refused.
  errors.push(...findTypedSecrets(parameters, (key) => jsonPointer(path, writtenAs.get(key) ?? key)).errors);
  for (const [parameter, field] of GENERIC_ENDPOINTS) {
    if (has(parameters, parameter) && has(parameters, field)) {
      fail(jsonPointer(path, writtenAs.get(parameter) ?? parameter), `give either ${parameter} or ${field}, not both`);
    }
  }
  if (has(parameters, 'SCOPES') && has(parameters, 'oauth2_params_scope')) fail(jsonPointer(path, 'SCOPES'), 'give either SCOPES or oauth2_params_scope, not both');
  const name = parameters['name'];
  if (name !== undefined && name !== type) fail(jsonPointer(path, 'name'), `name must be "${type}" (the connector type) or left out`);
  const oauthTypePath = jsonPointer(path, 'oauth_type');
  const oauthType = parameters['oauth_type'];
  if (protocol === undefined) {
    const got = typeof oauthType === 'string' ? `"${truncate(oauthType)}"` : describe(oauthType);
    fail(oauthTypePath, `oauth_type must be "OAuth2" (the default when left out) or "OAuth1" (OAuth 1.0a), not ${got}`);
  }

  // An endpoint that failed its own check was still given: do not also call it missing.
  const given = (key: string): boolean => writtenAs.has(key) || has(settings, key);
  if (protocol === 'OAuth2') errors.push(...oauth2EndpointErrors(type, path, given));
  if (protocol === 'OAuth1') errors.push(...oauth1EndpointErrors(type, path, given));

  for (const error of validateDefinition(definition, path)) {
    // An unknown oauth_type is reported once, above.
    if (protocol === undefined && error.path === oauthTypePath) continue;
    let at = error.path;
    for (const [field, parameter] of sources) {
      const fieldPath = jsonPointer(path, field);
      if (at === fieldPath || at.startsWith(`${fieldPath}/`)) at = jsonPointer(path, writtenAs.get(parameter) ?? parameter) + at.slice(fieldPath.length);
    }
    errors.push({ path: at, message: error.message });
  }
  return errors;
}

/** An OAuth 2 generic provider: AUTH_URL + TOKEN_URL or oauth2_auth_url + oauth2_token_url, and no OAuth 1.0a settings. */
function oauth2EndpointErrors(type: ConnectorType, path: string, given: (key: string) => boolean): ValidationError[] {
  const errors: ValidationError[] = [];
  const fail = (at: string, message: string): void => {
    errors.push({ path: at, message });
  };
  for (const field of OAUTH1_ONLY_FIELDS) {
    if (given(field)) fail(jsonPointer(path, field), `${field} is an OAuth 1.0a setting: set "oauth_type": "OAuth1" for an OAuth 1.0a provider`);
  }
  const hasAuth = given('AUTH_URL') || given('oauth2_auth_url');
  const hasToken = given('TOKEN_URL') || given('oauth2_token_url');
  if (!hasAuth && !hasToken) {
    fail(
      path,
      `a ${type} provider needs its endpoints: AUTH_URL and TOKEN_URL (and REFRESH_URL, VALIDATE_URL if needed), ` +
        'or a full definition with oauth2_auth_url and oauth2_token_url as in the documented odata sample',
    );
  } else if (!hasAuth) {
    fail(jsonPointer(path, given('TOKEN_URL') ? 'AUTH_URL' : 'oauth2_auth_url'), 'the authorization endpoint is required');
  } else if (!hasToken) {
    fail(jsonPointer(path, given('AUTH_URL') ? 'TOKEN_URL' : 'oauth2_token_url'), 'the token endpoint is required');
  }
  return errors;
}

/**
 * An OAuth 1.0a generic provider: the three oauth1_* endpoints (absolute, or relative to base_url);
 * oauth1_revoke_url, oauth1_auth_query and the validate URL are optional. OAuth 2 endpoints would be ignored: refused.
 */
function oauth1EndpointErrors(type: ConnectorType, path: string, given: (key: string) => boolean): ValidationError[] {
  const errors: ValidationError[] = [];
  const fail = (at: string, message: string): void => {
    errors.push({ path: at, message });
  };
  for (const [parameter, field] of OAUTH2_ONLY_ENDPOINTS) {
    for (const key of [parameter, field]) {
      if (given(key)) {
        fail(jsonPointer(path, key), `${key} is an OAuth 2 endpoint, which an OAuth 1.0a provider does not use: give oauth1_request_token_url, oauth1_authorize_url and oauth1_access_token_url (and oauth1_revoke_url)`);
      }
    }
  }
  for (const [field, what] of OAUTH1_REQUIRED_ENDPOINTS) {
    if (!given(field)) fail(jsonPointer(path, field), `an OAuth 1.0a ${type} provider needs ${field}: ${what} (absolute, or relative to base_url)`);
  }
  return errors;
}
