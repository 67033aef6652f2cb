import type { ConnectorDefinition, ConnectorType, ProviderParameter, RequiredParameter } from '../../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from '../provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from '../template-lists';

/** Salesforce login hosts only: login/test.salesforce.com, My Domain (*.my.salesforce.com), *.force.com. */
export const LOGIN_HOST_PATTERN = '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+(?:salesforce|force)\\.com$';

export const LOGIN_HOST: RequiredParameter = {
  id: 'login_host',
  title: 'Login host',
  description: 'login.salesforce.com (production), test.salesforce.com (sandbox) or your My Domain host.',
  default: 'login.salesforce.com',
  provider_default: 'LOGIN_HOST',
  pattern: LOGIN_HOST_PATTERN,
  pattern_description: 'a Salesforce host name such as login.salesforce.com, test.salesforce.com or acme.my.salesforce.com (no https://)',
};

export const LOGIN_HOST_PARAMETER: ProviderParameter = {
  name: 'LOGIN_HOST',
  required: false,
  format: 'hostname',
  description: 'Default login host for connectors of this provider (e.g. test.salesforce.com for a sandbox).',
};

/**
 * Salesforce (and Salesforce-based ServiceMax): `https://{login_host}/services/oauth2/...`. The token
 * response has no `expires_in` but carries the API base (`instance_url`); rotation is opt-in per app.
 */
export function salesforceDefinition(product: {
  name: ConnectorType;
  title: string;
  scopes: ReadonlyArray<readonly [scope: string, title: string]>;
}): ConnectorDefinition {
  return {
    name: product.name,
    title: product.title,
    oauth_type: 'OAuth2',
    base_url: 'https://{login_host}/services/oauth2',
    oauth2_auth_url: '/authorize',
    oauth2_token_url: '/token',
    oauth2_revoke_url: '/revoke',
    oauth2_revoke_method: 'post_form',
    oauth2_validate_url: '/userinfo',
    oauth2_validate_headers: [...BEARER_HEADERS],
    oauth2_auth_query: authorizationQuery(),
    oauth2_token_data: tokenData(),
    oauth2_refresh_data: refreshData(),
    oauth2_params_scope: scopeMap(product.scopes),
    oauth2_required: [LOGIN_HOST],
    oauth2_scope_separator: ' ',
    oauth2_pkce: 'S256',
    oauth2_client_auth: 'client_secret_post',
    oauth2_token_metadata: ['instance_url', 'id', 'issued_at'],
    oauth2_default_expires_in: 3600,
    refresh_token_rotates: 'no',
    refreshable: true,
    provider_parameters: [...OAUTH2_CLIENT_PARAMETERS, LOGIN_HOST_PARAMETER],
    ...environmentParams(),
  };
}
