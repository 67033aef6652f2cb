import { splitScopes } from './connection-variables';
import type { ConnectorDefinition, ConnectorType } from './definition.types';
import { getDefinition } from './definitions/registry';
import { environmentParams, scopeMap } from './definitions/template-lists';
import { hasOwnKey } from './json-value';
import { FORBIDDEN_KEYS } from './template-engine';

/**
 * The definition a provider runs with, built from its stored (non-secret) parameters: used when a
 * file is validated and again, at run time, whenever a stored provider is read.
 */

/** Endpoint parameters of a generic provider and the definition field each one fills. */
export const GENERIC_ENDPOINTS: ReadonlyArray<readonly [parameter: string, field: string]> = [
  ['AUTH_URL', 'oauth2_auth_url'],
  ['TOKEN_URL', 'oauth2_token_url'],
  ['REFRESH_URL', 'oauth2_refresh_url'],
  ['VALIDATE_URL', 'oauth2_validate_url'],
  ['REVOKE_URL', 'oauth2_revoke_url'],
];

/** Keys of a generic provider that a file may not set: they would change how the provider is stored. */
export const RESERVED_DEFINITION_KEYS: ReadonlySet<string> = new Set(['provider_parameters', 'generic']);

// `{consumer_key}` / `{consumer_secret}` in an OAuth1 generic provider's templates, as in the trello definition.
const OAUTH1_ENVIRONMENT_CREDENTIALS: ReadonlyArray<readonly [variable: string, parameter: string]> = [
  ['client_id', 'CLIENT_ID'],
  ['client_secret', 'CLIENT_SECRET'],
  ['consumer_key', 'CLIENT_ID'],
  ['consumer_secret', 'CLIENT_SECRET'],
];

/** The effective definition and, for generic types, which parameter filled which definition field. */
export interface ComposedDefinition {
  definition: ConnectorDefinition;
  /** Definition field -> the parameter that filled it (`oauth2_auth_url` -> `AUTH_URL`), so errors point at what the file says. */
  sources: Map<string, string>;
}

/**
 * The definition a provider of `type` runs with, from its stored (non-secret) parameters: the
 * built-in one with the SCOPES override applied, or for generic types the skeleton completed by the
 * provider's AUTH_URL/TOKEN_URL/... or its custom definition fields.
 */
export function buildEffectiveDefinition(type: ConnectorType, parameters: Record<string, unknown>): ConnectorDefinition {
  return composeDefinition(type, parameters).definition;
}

/** `buildEffectiveDefinition`, also saying which parameter filled which field of a generic definition. */
export function composeDefinition(type: ConnectorType, parameters: Record<string, unknown>): ComposedDefinition {
  const builtIn = getDefinition(type);
  const sources = new Map<string, string>();
  const scopes = hasOwnKey(parameters, 'SCOPES') ? scopeOverride(parameters['SCOPES']) : undefined;
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
    if (typeof parameters[parameter] === 'string' && !hasOwnKey(parameters, field)) {
      definition[field] = parameters[parameter];
      sources.set(field, parameter);
    }
  }
  if (scopes && !hasOwnKey(parameters, 'oauth2_params_scope')) {
    definition.oauth2_params_scope = scopes;
    sources.set('oauth2_params_scope', 'SCOPES');
  }
  if (definition.oauth_type !== 'OAuth1' && !hasOwnKey(parameters, 'oauth2_client_auth') && !hasOwnKey(parameters, 'oauth2_token_data') && !hasOwnKey(parameters, 'oauth2_refresh_data')) {
    // No templates of its own: authenticate the way every OAuth 2 server must accept (RFC 6749
    // section 2.3.1: HTTP Basic). A definition whose own token templates carry client_secret (the
    // seed's odata sample) keeps sending it in the body, as its templates say.
    definition.oauth2_client_auth = 'client_secret_basic';
  }
  if (definition.oauth_type === 'OAuth1') {
    // OAuth 1.0a tokens do not expire and are never refreshed; templates may name {consumer_key} as trello's do.
    if (!hasOwnKey(parameters, 'refreshable')) definition.refreshable = false;
    for (const [field, list] of Object.entries(environmentParams(OAUTH1_ENVIRONMENT_CREDENTIALS))) {
      if (!hasOwnKey(parameters, field)) definition[field] = list;
    }
  }
  return { definition, sources };
}

function scopeOverride(value: unknown): string[] | undefined {
  const scopes = splitScopes(value);
  return scopes.length > 0 ? scopeMap(scopes.map((s) => [s, s])) : undefined;
}
