import { closestMatch } from './closest-match';
import type { ConnectorDefinition, ConnectorType, ProviderParameter } from './definition.types';
import { CONNECTOR_TYPES, getDefinition, isConnectorType } from './definitions/registry';
import { composeDefinition } from './effective-definition';
import { genericDefinitionErrors, genericFieldProblem, genericProtocol, OAUTH1_CREDENTIAL_ALIASES } from './generic-provider-rules';
import { describeJsonType, isJsonObject, type JsonObject } from './json-value';
import { checkParameterValue } from './parameter-values';
import { parseJson } from './strict-json';
import { FORBIDDEN_KEYS } from './template-engine';
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

/** Parses the text of a configuration file (tolerant of pasted snippets; strict about duplicate and prototype keys). */
export function parseConfigurationText(text: string): { value?: unknown; errors: ValidationError[] } {
  return parseJson(text, { tolerant: true });
}

/**
 * Parses a body that carries the configuration under `key` (the ThingWorx service's
 * `{ "oauthConfigurations": <file> }`): an error inside the file (duplicate key, nesting depth, ...)
 * gets its path relative to the file the operator wrote, as the same file sent bare would; the wrapper
 * level does not count toward the depth limit. Errors about the wrapper itself keep their path.
 */
export function parseWrappedConfigurationText(text: string, key: string): { value?: unknown; errors: ValidationError[] } {
  const parsed = parseJson(text, { tolerant: true, wrapperLevels: 1 });
  const prefix = jsonPointer('', key);
  const errors = parsed.errors.map((e) => (e.path.startsWith(`${prefix}/`) ? { ...e, path: e.path.slice(prefix.length) } : e));
  return { ...parsed, errors };
}

/** Names of the parameters of a type that are secrets (encrypted at rest, redacted in answers). */
export function secretParameterNames(type: ConnectorType): string[] {
  return (getDefinition(type).provider_parameters ?? []).filter((p) => p.secret).map((p) => p.name);
}

/** Validates a parsed configuration document; collects every error and returns the valid providers. */
export function validateConfiguration(doc: unknown): { providers: ProviderSettings[]; errors: ValidationError[] } {
  const errors: ValidationError[] = [];
  const providers: ProviderSettings[] = [];
  if (!isJsonObject(doc)) {
    errors.push({
      path: '',
      message: `the configuration must be a JSON object of connector types, e.g. {"google_gmail": {"Gmail": {"CLIENT_ID": "...", "CLIENT_SECRET": "..."}}}, not ${describeJsonType(doc)}`,
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
    if (!isJsonObject(providersValue)) {
      errors.push({ path: typePath, message: `${type} must be an object of named providers, e.g. {"${type}": {"<provider name>": {...}}}, not ${describeJsonType(providersValue)}` });
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
      if (!isJsonObject(settings)) {
        errors.push({ path, message: `provider "${name}" must be an object of parameters, not ${describeJsonType(settings)}` });
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
  return Object.entries(providers).some(([key, value]) => names.has(key) && !isJsonObject(value));
}

function providerNameProblem(type: ConnectorType, name: string): string | undefined {
  if (name.trim() === '') return 'the provider name must not be empty';
  if (name.length > MAX_PROVIDER_NAME_LENGTH) return `the provider name is ${name.length} characters long; at most ${MAX_PROVIDER_NAME_LENGTH} are allowed`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the provider name must not contain control characters';
  if (type === 'google_gmail' && name.trim().toLowerCase() === 'google') return 'a Gmail provider cannot be named "Google"; choose another name such as "Gmail"';
  return undefined;
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
      if (builtIn.generic) {
        // Anything else a generic provider gives is a field of its custom definition.
        const problem = genericFieldProblem(key, value);
        if (problem !== undefined) fail(keyPath, problem);
        else parameters[key] = value;
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

  const composed = composeDefinition(type, parameters);
  if (builtIn.generic) errors.push(...genericDefinitionErrors({ type, protocol, settings, parameters, path, writtenAs, composed }));
  if (errors.length > 0) return { errors };
  return { settings: { type, name, parameters, secrets, definition: composed.definition }, errors };
}
