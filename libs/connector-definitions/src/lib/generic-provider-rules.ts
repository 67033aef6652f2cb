import type { ConnectorType } from './definition.types';
import { validateDefinition } from './definition-schema';
import { type ComposedDefinition, GENERIC_ENDPOINTS, RESERVED_DEFINITION_KEYS } from './effective-definition';
import { describeJsonType, hasOwnKey, type JsonObject, truncateForMessage } from './json-value';
import { PLACEHOLDER, placeholderMessage } from './parameter-values';
import { findTypedSecrets, isSecretName } from './typed-secrets';
import { type ValidationError, jsonPointer } from './validation-error';

/**
 * What a generic provider (odata, soap, swagger) of the configuration file must and must not say:
 * its protocol, its endpoints, and its custom definition, checked by the one definition schema.
 */

/** The protocol a generic provider declares. */
export type GenericProtocol = 'OAuth2' | 'OAuth1';

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

/** OAuth 1.0a spellings of a generic provider's credentials, normalised to CLIENT_ID / CLIENT_SECRET. */
export const OAUTH1_CREDENTIAL_ALIASES: ReadonlyArray<readonly [alias: string, parameter: string]> = [
  ['CONSUMER_KEY', 'CLIENT_ID'],
  ['CONSUMER_SECRET', 'CLIENT_SECRET'],
];
const OAUTH1_ALIAS_OF: ReadonlyMap<string, string> = new Map(OAUTH1_CREDENTIAL_ALIASES);

/** The protocol of a generic provider: its `oauth_type` (OAuth2 when left out); undefined when the value is not one. */
export function genericProtocol(oauthType: unknown): GenericProtocol | undefined {
  if (oauthType === undefined || oauthType === 'OAuth2') return 'OAuth2';
  return oauthType === 'OAuth1' ? 'OAuth1' : undefined;
}

/**
 * Why a key a generic provider gives beyond its declared parameters cannot be kept as a definition
 * field, or undefined when it can.
 */
export function genericFieldProblem(key: string, value: unknown): string | undefined {
  const aliasOf = OAUTH1_ALIAS_OF.get(key);
  // Never kept as a plain (unencrypted, unredacted) setting of an OAuth 2 provider.
  if (aliasOf !== undefined) return `${key} is the OAuth 1.0a name of ${aliasOf}: use ${aliasOf}, or set "oauth_type": "OAuth1" for an OAuth 1.0a provider`;
  if (RESERVED_DEFINITION_KEYS.has(key)) return `${key} cannot be set in the configuration file`;
  if (typeof value === 'string' && PLACEHOLDER.test(value)) return isSecretName(key) ? placeholderMessage(key) : placeholderMessage(key, value);
  return undefined;
}

/** One generic provider of the file, as far as its declared parameters were checked. */
export interface GenericProviderInput {
  type: ConnectorType;
  protocol: GenericProtocol | undefined;
  /** The provider's object as written in the file. */
  settings: JsonObject;
  /** Its checked parameters and definition fields. */
  parameters: JsonObject;
  /** JSON pointer of the provider in the file. */
  path: string;
  /** Parameter name -> the key the file wrote it as (an alias such as CONSUMER_KEY). */
  writtenAs: Map<string, string>;
  composed: ComposedDefinition;
}

/** Endpoints and custom definition of a generic provider. */
export function genericDefinitionErrors(input: GenericProviderInput): ValidationError[] {
  const { type, protocol, settings, parameters, path, writtenAs } = input;
  const { definition, sources } = input.composed;
  const errors: ValidationError[] = [];
  const fail = (at: string, message: string): void => {
    errors.push({ path: at, message });
  };
  // Only CLIENT_SECRET is sealed: a secret typed anywhere else in the definition is refused.
  errors.push(...findTypedSecrets(parameters, (key) => jsonPointer(path, writtenAs.get(key) ?? key)).errors);
  for (const [parameter, field] of GENERIC_ENDPOINTS) {
    if (hasOwnKey(parameters, parameter) && hasOwnKey(parameters, field)) {
      fail(jsonPointer(path, writtenAs.get(parameter) ?? parameter), `give either ${parameter} or ${field}, not both`);
    }
  }
  if (hasOwnKey(parameters, 'SCOPES') && hasOwnKey(parameters, 'oauth2_params_scope')) fail(jsonPointer(path, 'SCOPES'), 'give either SCOPES or oauth2_params_scope, not both');
  const name = parameters['name'];
  if (name !== undefined && name !== type) fail(jsonPointer(path, 'name'), `name must be "${type}" (the connector type) or left out`);
  const oauthTypePath = jsonPointer(path, 'oauth_type');
  const oauthType = parameters['oauth_type'];
  if (protocol === undefined) {
    const got = typeof oauthType === 'string' ? `"${truncateForMessage(oauthType)}"` : describeJsonType(oauthType);
    fail(oauthTypePath, `oauth_type must be "OAuth2" (the default when left out) or "OAuth1" (OAuth 1.0a), not ${got}`);
  }

  // An endpoint that failed its own check was still given: do not also call it missing.
  const given = (key: string): boolean => writtenAs.has(key) || hasOwnKey(settings, key);
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
