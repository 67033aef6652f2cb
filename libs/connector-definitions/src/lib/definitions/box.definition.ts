import type { ConnectorDefinition } from '../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from './provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, tokenData } from './template-lists';

/**
 * Box: with no scope requested Box grants the scopes configured on the app. Refresh tokens are
 * single-use (rotation). PKCE is not documented by Box, so it is off.
 */
export const BOX_DEFINITION: ConnectorDefinition = {
  name: 'box',
  title: 'Box',
  oauth_type: 'OAuth2',
  oauth2_auth_url: 'https://account.box.com/api/oauth2/authorize',
  oauth2_token_url: 'https://api.box.com/oauth2/token',
  oauth2_revoke_url: 'https://api.box.com/oauth2/revoke',
  oauth2_revoke_method: 'post_form_client_auth',
  oauth2_validate_url: 'https://api.box.com/2.0/users/me',
  oauth2_validate_headers: [...BEARER_HEADERS],
  oauth2_auth_query: authorizationQuery(),
  oauth2_token_data: tokenData(),
  oauth2_refresh_data: refreshData(),
  oauth2_params_scope: [],
  oauth2_scope_separator: ' ',
  oauth2_pkce: false,
  oauth2_client_auth: 'client_secret_post',
  refresh_token_rotates: 'yes',
  refreshable: true,
  provider_parameters: [...OAUTH2_CLIENT_PARAMETERS],
  ...environmentParams(),
};
