import type { ConnectorDefinition, ProviderParameter, RequiredParameter } from '../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from './provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from './template-lists';

const SUBDOMAIN: RequiredParameter = {
  id: 'subdomain',
  title: 'Zendesk subdomain',
  description: 'The subdomain of your Zendesk account: "acme" for acme.zendesk.com.',
  provider_default: 'SUBDOMAIN',
  pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
  pattern_description: 'letters, digits and hyphens only, e.g. acme for acme.zendesk.com',
};

const SUBDOMAIN_PARAMETER: ProviderParameter = {
  name: 'SUBDOMAIN',
  required: false,
  format: 'string',
  description: 'Default Zendesk subdomain for connectors of this provider.',
};

/**
 * Zendesk: `https://{subdomain}.zendesk.com/oauth/...`. Passing `expires_in` opts into expiring
 * access tokens with refresh tokens (rotation: each refresh replaces both).
 */
export const ZENDESK_DEFINITION: ConnectorDefinition = {
  name: 'zendesk',
  title: 'Zendesk',
  oauth_type: 'OAuth2',
  base_url: 'https://{subdomain}.zendesk.com',
  oauth2_auth_url: '/oauth/authorizations/new',
  oauth2_token_url: '/oauth/tokens',
  oauth2_revoke_url: '/api/v2/oauth/tokens/current.json',
  oauth2_revoke_method: 'delete_bearer',
  oauth2_validate_url: '/api/v2/users/me.json',
  oauth2_validate_headers: [...BEARER_HEADERS],
  oauth2_auth_query: authorizationQuery(),
  oauth2_token_data: tokenData([
    ['scope', '{scope}'],
    ['expires_in', '1800'],
  ]),
  oauth2_refresh_data: refreshData([['expires_in', '1800']]),
  oauth2_params_scope: scopeMap([
    ['read', 'Read your Zendesk data'],
    ['write', 'Change your Zendesk data'],
  ]),
  oauth2_required: [SUBDOMAIN],
  oauth2_scope_separator: ' ',
  oauth2_pkce: 'S256',
  oauth2_client_auth: 'client_secret_post',
  refresh_token_rotates: 'yes',
  refreshable: true,
  provider_parameters: [...OAUTH2_CLIENT_PARAMETERS, SUBDOMAIN_PARAMETER],
  ...environmentParams(),
};
