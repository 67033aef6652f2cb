import type { ConnectorDefinition } from '../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from './provider-parameters';
import { authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from './template-lists';

/** Dropbox: `token_access_type=offline` or no refresh token; refresh tokens are long-lived (no rotation). */
export const DROPBOX_DEFINITION: ConnectorDefinition = {
  name: 'dropbox',
  title: 'Dropbox',
  oauth_type: 'OAuth2',
  oauth2_auth_url: 'https://www.dropbox.com/oauth2/authorize',
  oauth2_token_url: 'https://api.dropboxapi.com/oauth2/token',
  oauth2_revoke_url: 'https://api.dropboxapi.com/2/auth/token/revoke',
  oauth2_revoke_method: 'post_bearer',
  oauth2_auth_query: authorizationQuery([['token_access_type', 'offline']]),
  oauth2_token_data: tokenData(),
  oauth2_refresh_data: refreshData(),
  oauth2_params_scope: scopeMap([
    ['account_info.read', 'View your account information'],
    ['files.metadata.read', 'View information about your files and folders'],
    ['files.content.read', 'View the content of your files'],
    ['files.content.write', 'Edit the content of your files'],
  ]),
  oauth2_scope_separator: ' ',
  oauth2_pkce: 'S256',
  oauth2_client_auth: 'client_secret_post',
  refresh_token_rotates: 'no',
  refreshable: true,
  provider_parameters: [...OAUTH2_CLIENT_PARAMETERS],
  ...environmentParams(),
};
