import type { ConnectorDefinition } from '../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from './provider-parameters';
import { ACCEPT_JSON_HEADERS, authorizationQuery, environmentParams, pairs, refreshData, scopeMap, tokenData } from './template-lists';

/**
 * GitHub: the token endpoint answers form-encoded unless asked for JSON. OAuth-app tokens do not
 * expire; expiring user tokens (8 h) come with a rotating 6-month refresh token.
 */
export const GITHUB_DEFINITION: ConnectorDefinition = {
  name: 'github',
  title: 'GitHub',
  oauth_type: 'OAuth2',
  oauth2_auth_url: 'https://github.com/login/oauth/authorize',
  oauth2_token_url: 'https://github.com/login/oauth/access_token',
  oauth2_revoke_url: 'https://api.github.com/applications/{client_id}/token',
  oauth2_revoke_method: 'delete_basic_json',
  oauth2_validate_url: 'https://api.github.com/user',
  oauth2_validate_headers: pairs([
    ['Authorization', 'Bearer {access_token}'],
    ['Accept', 'application/vnd.github+json'],
    ['User-Agent', 'Flow-OAuth'],
  ]),
  oauth2_auth_query: authorizationQuery(),
  oauth2_token_data: tokenData(),
  oauth2_refresh_data: refreshData(),
  oauth2_token_headers: [...ACCEPT_JSON_HEADERS],
  oauth2_params_scope: scopeMap([
    ['repo', 'Full control of your repositories'],
    ['read:user', 'Read your profile data'],
    ['user:email', 'Read your email addresses'],
  ]),
  oauth2_scope_separator: ' ',
  oauth2_pkce: 'S256',
  oauth2_client_auth: 'client_secret_post',
  refresh_token_rotates: 'yes',
  refreshable: true,
  provider_parameters: [...OAUTH2_CLIENT_PARAMETERS],
  ...environmentParams(),
};
