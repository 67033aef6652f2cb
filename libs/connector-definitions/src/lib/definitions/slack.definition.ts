import type { ConnectorDefinition, ProviderParameter } from '../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from './provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from './template-lists';

const USER_SCOPES: ProviderParameter = {
  name: 'USER_SCOPES',
  required: false,
  format: 'scopes',
  description: 'User-token scopes (Slack user_scope), in addition to the bot scopes.',
};

/**
 * Slack v2 install flow: bot scopes in `scope`, user scopes in `user_scope`, comma-separated.
 * Tokens do not expire unless the app enables token rotation (then 12 h and single-use refresh
 * tokens). PKCE would mark the app a public client, so it is off.
 */
export const SLACK_DEFINITION: ConnectorDefinition = {
  name: 'slack',
  title: 'Slack',
  oauth_type: 'OAuth2',
  oauth2_auth_url: 'https://slack.com/oauth/v2/authorize',
  oauth2_token_url: 'https://slack.com/api/oauth.v2.access',
  oauth2_revoke_url: 'https://slack.com/api/auth.revoke',
  oauth2_revoke_method: 'post_bearer',
  oauth2_validate_url: 'https://slack.com/api/auth.test',
  oauth2_validate_headers: [...BEARER_HEADERS],
  oauth2_auth_query: authorizationQuery([['user_scope', '{USER_SCOPES}']]),
  oauth2_token_data: tokenData(),
  oauth2_refresh_data: refreshData(),
  oauth2_params_scope: scopeMap([
    ['chat:write', 'Send messages'],
    ['channels:read', 'View basic information about public channels'],
  ]),
  oauth2_scope_separator: ',',
  oauth2_pkce: false,
  oauth2_client_auth: 'client_secret_post',
  oauth2_token_metadata: ['team', 'enterprise', 'bot_user_id', 'app_id', 'is_enterprise_install'],
  refresh_token_rotates: 'configurable',
  refreshable: true,
  provider_parameters: [...OAUTH2_CLIENT_PARAMETERS, USER_SCOPES],
  ...environmentParams(),
};
