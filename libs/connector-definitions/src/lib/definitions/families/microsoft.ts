import type { ConnectorDefinition, ConnectorType, ProviderParameter, RequiredParameter } from '../../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from '../provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from '../template-lists';

/** Host-safe Entra tenant: GUID, domain, or common / organizations / consumers. No `/`, `@`, `:` or `..`. */
export const TENANT_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9](?:[A-Za-z0-9.-]{0,254}[A-Za-z0-9])?$';

export const TENANT: RequiredParameter = {
  id: 'tenant',
  title: 'Tenant',
  description: 'Directory (tenant) ID or domain; leave it "common" if you do not have one.',
  default: 'common',
  provider_default: 'TENANT',
  pattern: TENANT_PATTERN,
  pattern_description: 'a tenant ID (GUID), a domain such as contoso.onmicrosoft.com, or common / organizations / consumers',
};

export const TENANT_PARAMETER: ProviderParameter = {
  name: 'TENANT',
  required: false,
  format: 'string',
  description: 'Default tenant for connectors of this provider (common, organizations, consumers, a GUID or a domain).',
};

export interface MicrosoftProduct {
  name: ConnectorType;
  title: string;
  /** Default scopes; `offline_access` first, or no refresh token is issued. */
  scopes: ReadonlyArray<readonly [scope: string, title: string]>;
  validateUrl?: string;
  /** The scope template for authorize, token and refresh; Dynamics appends its environment scope. */
  scopeTemplate?: string;
  required?: RequiredParameter[];
  parameters?: ProviderParameter[];
}

/**
 * Microsoft identity platform v2.0: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/...`.
 * Refresh tokens replace themselves on every use (rotation); there is no RFC 7009 revoke endpoint.
 */
export function microsoftDefinition(product: MicrosoftProduct): ConnectorDefinition {
  const scope = product.scopeTemplate ?? '{scope}';
  return {
    name: product.name,
    title: product.title,
    oauth_type: 'OAuth2',
    base_url: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0',
    oauth2_auth_url: '/authorize',
    oauth2_token_url: '/token',
    ...(product.validateUrl ? { oauth2_validate_url: product.validateUrl, oauth2_validate_headers: [...BEARER_HEADERS] } : {}),
    oauth2_auth_query: authorizationQuery([['response_mode', 'query']], scope),
    oauth2_token_data: tokenData([['scope', scope]]),
    oauth2_refresh_data: refreshData([['scope', scope]]),
    oauth2_params_scope: scopeMap(product.scopes),
    oauth2_required: [TENANT, ...(product.required ?? [])],
    oauth2_scope_separator: ' ',
    oauth2_pkce: 'S256',
    oauth2_client_auth: 'client_secret_post',
    refresh_token_rotates: 'yes',
    refreshable: true,
    provider_parameters: [...OAUTH2_CLIENT_PARAMETERS, TENANT_PARAMETER, ...(product.parameters ?? [])],
    ...environmentParams(),
  };
}
