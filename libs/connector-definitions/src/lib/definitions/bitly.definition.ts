import type { ConnectorDefinition } from '../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from './provider-parameters';
import { ACCEPT_JSON_HEADERS, BEARER_HEADERS, authorizationQuery, environmentParams, tokenData } from './template-lists';

/** Bitly: no scopes, no refresh token; access tokens do not expire. */
export const BITLY_DEFINITION: ConnectorDefinition = {
  name: 'bitly',
  title: 'Bitly',
  oauth_type: 'OAuth2',
  oauth2_auth_url: 'https://bitly.com/oauth/authorize',
  oauth2_token_url: 'https://api-ssl.bitly.com/oauth/access_token',
  oauth2_validate_url: 'https://api-ssl.bitly.com/v4/user',
  oauth2_validate_headers: [...BEARER_HEADERS],
  oauth2_auth_query: authorizationQuery(),
  oauth2_token_data: tokenData(),
  oauth2_token_headers: [...ACCEPT_JSON_HEADERS],
  oauth2_params_scope: [],
  oauth2_scope_separator: ' ',
  oauth2_pkce: false,
  oauth2_client_auth: 'client_secret_post',
  refresh_token_rotates: 'no',
  refreshable: false,
  provider_parameters: [...OAUTH2_CLIENT_PARAMETERS],
  ...environmentParams(),
};
