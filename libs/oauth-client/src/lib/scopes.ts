import { splitScopes } from '@flow-oauth/connector-definitions';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';
import { templateKeys } from './template-variables';

/** The definition's scope separator (default a space). */
export function scopeSeparator(provider: ProviderRecord): string {
  const separator = provider.definition.oauth2_scope_separator;
  return typeof separator === 'string' && separator !== '' ? separator : ' ';
}

/** Scopes of one request: the requested ones, else the provider's SCOPES setting, else every key of `oauth2_params_scope`. */
export function resolveScopes(provider: ProviderRecord, requested: string[] | undefined): string[] {
  if (requested && requested.length > 0) return requested;
  const configured = splitScopes(provider.parameters['SCOPES']);
  if (configured.length > 0) return configured;
  return templateKeys(provider.definition.oauth2_params_scope, 'scope list');
}

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Joins scopes with the definition's separator, refusing values that are not RFC 6749 scope tokens. */
export function joinScopes(provider: ProviderRecord, scopes: string[]): string {
  const separator = scopeSeparator(provider);
  const unique: string[] = [];
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope) || (separator.trim() !== '' && scope.includes(separator))) {
      throw new OAuthProtocolError('config', `scope ${JSON.stringify(String(scope)).slice(0, 80)} is not a valid scope value`);
    }
    if (!unique.includes(scope)) unique.push(scope);
  }
  return unique.join(separator);
}
