import { URL_FIELDS } from './definition-schema';
import type { ConnectorDefinition, DeploymentEnvironment } from './definition.types';
import { type TemplateContext, environmentVariables, parseTemplatePair, templateReferences } from './template-engine';
import { type ValidationError, jsonPointer } from './validation-error';

/**
 * Where the `{variables}` of a definition get their values at run time, in increasing precedence:
 * the provider's parameters (base_url, PF_IDP_ADAPTER_ID, ...), `env_<env>_params` (client_id,
 * client_secret, redirect_uri), the connection's `oauth2_required` values (tenant, subdomain, ...),
 * the default `{scope}`, then run-time values (code, state, refresh_token, access_token, token...).
 */

const MAX_CONNECTION_VALUE_LENGTH = 2048;
const PROVIDER_REFERENCE = /^\{\{\{\s*provider\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\}$/;

/** For a pattern-less value that starts a URL: an http(s) origin and path, nothing that changes the host. */
const DEFAULT_URL_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$/;
/** For a pattern-less value inside a URL (a host label or a path segment): unreserved characters only. */
const DEFAULT_SEGMENT_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._~-]+$/;

/** How each variable is used in the definition's URLs: 'start' of a URL, 'inside' one, or absent. */
function urlUse(def: ConnectorDefinition): Map<string, 'start' | 'inside'> {
  const uses = new Map<string, 'start' | 'inside'>();
  for (const field of ['base_url', ...URL_FIELDS]) {
    const url = def[field];
    if (typeof url !== 'string') continue;
    const leading = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(url)?.[1];
    for (const variable of templateReferences(url).variables) {
      if (variable === leading && uses.get(variable) !== 'inside') uses.set(variable, 'start');
      else uses.set(variable, 'inside');
    }
  }
  return uses;
}

function stringParameter(parameters: Record<string, unknown>, name: string | undefined): string | undefined {
  if (name === undefined || !Object.prototype.hasOwnProperty.call(parameters, name)) return undefined;
  const value = parameters[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The scopes requested by default: the keys of the (effective) definition's scope map, in order. */
export function requestedScopes(def: ConnectorDefinition): string[] {
  return (def.oauth2_params_scope ?? []).map((entry) => parseTemplatePair(entry)[0]);
}

/** Splits a scope list given as text (spaces or commas) or as an array. */
export function splitScopes(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string').flatMap(splitScopes);
  return typeof value === 'string' ? value.split(/[\s,]+/).filter((s) => s !== '') : [];
}

/** Joins scopes with the definition's separator (default a space). */
export function formatScopes(def: ConnectorDefinition, scopes: readonly string[]): string {
  return scopes.join(def.oauth2_scope_separator ?? ' ');
}

/**
 * Values of a connection's `oauth2_required` parameters: what the user supplied, else the provider
 * parameter named by `provider_default`, else `default`. Each value must match its pattern; a value
 * without a pattern that goes into a URL (the seed's `{tenant}`) must be URL-safe anyway. Error paths
 * are JSON pointers into `supplied` (`/tenant`).
 */
export function resolveConnectionParameters(
  def: ConnectorDefinition,
  providerParameters: Record<string, unknown>,
  supplied: Record<string, string | undefined> = {},
): { values: Record<string, string>; errors: ValidationError[] } {
  const values: Record<string, string> = {};
  const errors: ValidationError[] = [];
  const uses = urlUse(def);
  for (const entry of def.oauth2_required ?? []) {
    const path = jsonPointer('', entry.id);
    const given = Object.prototype.hasOwnProperty.call(supplied, entry.id) ? supplied[entry.id]?.trim() : undefined;
    let value = given !== undefined && given !== '' ? given : stringParameter(providerParameters, entry.provider_default);
    if (value === undefined && entry.default !== undefined) {
      const reference = PROVIDER_REFERENCE.exec(entry.default);
      value = reference ? stringParameter(providerParameters, reference[1]) : entry.default;
    }
    if (value === undefined || value === '') {
      if (!entry.optional) errors.push({ path, message: `${entry.title} (${entry.id}) is required` });
      continue;
    }
    if (value.length > MAX_CONNECTION_VALUE_LENGTH) {
      errors.push({ path, message: `${entry.title} (${entry.id}) is longer than ${MAX_CONNECTION_VALUE_LENGTH} characters` });
      continue;
    }
    if (entry.pattern !== undefined && !new RegExp(entry.pattern).test(value)) {
      errors.push({ path, message: `${entry.title} (${entry.id}) must be ${entry.pattern_description ?? `a value matching ${entry.pattern}`}` });
      continue;
    }
    const use = entry.pattern === undefined ? uses.get(entry.id) : undefined;
    if (use === 'start' && !DEFAULT_URL_PATTERN.test(value)) {
      errors.push({ path, message: `${entry.title} (${entry.id}) must be an http(s) URL` });
      continue;
    }
    if (use === 'inside' && !DEFAULT_SEGMENT_PATTERN.test(value)) {
      errors.push({ path, message: `${entry.title} (${entry.id}) may contain only letters, digits, ".", "_", "~" and "-" (it goes into a URL)` });
      continue;
    }
    values[entry.id] = value;
  }
  return { values, errors };
}

export interface TemplateContextInput {
  /** The effective definition (`buildEffectiveDefinition`). */
  definition: ConnectorDefinition;
  environment: DeploymentEnvironment;
  /** The provider's non-secret parameters (`ProviderSettings.parameters`). */
  parameters: Record<string, unknown>;
  /** The provider's secrets (`ProviderSettings.secrets`). */
  secrets: Record<string, string>;
  returnUrl: string;
  /** Resolved `oauth2_required` values (`resolveConnectionParameters`). */
  connection?: Record<string, string>;
  /** code, state, code_verifier, code_challenge, refresh_token, access_token, token, scope... */
  runtime?: Record<string, string | undefined>;
}

/** Builds the TemplateContext for rendering a definition's URLs and templates for one connection. */
export function buildTemplateContext(input: TemplateContextInput): TemplateContext {
  const { definition } = input;
  const scopeParameters = new Set((definition.provider_parameters ?? []).filter((p) => p.format === 'scopes').map((p) => p.name));
  const providerValues: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.parameters)) {
    if (typeof value === 'string') providerValues[name] = scopeParameters.has(name) ? formatScopes(definition, splitScopes(value)) : value;
  }
  const credentials: Record<string, string | undefined> = { ...providerValues, ...input.secrets };
  const base: TemplateContext = { variables: { ...providerValues, ...input.connection }, credentials, returnUrl: input.returnUrl };
  const environment = environmentVariables(definition, input.environment, base);
  return {
    variables: {
      ...providerValues,
      ...environment,
      ...input.connection,
      scope: formatScopes(definition, requestedScopes(definition)),
      ...input.runtime,
    },
    credentials,
    returnUrl: input.returnUrl,
  };
}
