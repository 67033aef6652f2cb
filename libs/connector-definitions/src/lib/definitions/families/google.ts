import type { ConnectorDefinition, ConnectorType, ProviderParameter } from '../../definition.types';
import { OAUTH2_CLIENT_PARAMETERS } from '../provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from '../template-lists';

export interface GoogleProduct {
  name: ConnectorType;
  title: string;
  scopes: ReadonlyArray<readonly [scope: string, title: string]>;
  /** A GET endpoint of the product that answers with the granted scopes only. */
  validateUrl?: string;
}

/**
 * The OAuth consent screen's publishing status. Google gives an app in "Testing" refresh tokens that
 * lapse after 7 days (providers.md, GOOG): saying so lets Flow warn before each connector needs its
 * user again (`reauthDueAt`, `connector.reauth_due`). Google's token answer does not tell.
 */
export const PUBLISHING_STATUS: ProviderParameter = {
  name: 'PUBLISHING_STATUS',
  required: false,
  format: 'string',
  values: ['testing', 'production'],
  description: 'The publishing status of the app\'s OAuth consent screen: "testing" (refresh tokens lapse after 7 days) or "production" (the default).',
};

/**
 * One Google OAuth client serves every Google product; they differ in scopes only.
 * `access_type=offline` gets a refresh token and `prompt=consent` makes Google return one again on
 * re-consent. Refresh returns a new access token only (no rotation).
 */
export function googleDefinition(product: GoogleProduct): ConnectorDefinition {
  return {
    name: product.name,
    title: product.title,
    oauth_type: 'OAuth2',
    oauth2_auth_url: 'https://accounts.google.com/o/oauth2/v2/auth',
    oauth2_token_url: 'https://oauth2.googleapis.com/token',
    oauth2_revoke_url: 'https://oauth2.googleapis.com/revoke',
    oauth2_revoke_method: 'post_form',
    ...(product.validateUrl ? { oauth2_validate_url: product.validateUrl, oauth2_validate_headers: [...BEARER_HEADERS] } : {}),
    oauth2_auth_query: authorizationQuery([
      ['access_type', 'offline'],
      ['prompt', 'consent'],
    ]),
    oauth2_token_data: tokenData(),
    oauth2_refresh_data: refreshData(),
    oauth2_params_scope: scopeMap(product.scopes),
    oauth2_scope_separator: ' ',
    oauth2_pkce: 'S256',
    oauth2_client_auth: 'client_secret_post',
    refresh_token_rotates: 'no',
    refreshable: true,
    provider_parameters: [...OAUTH2_CLIENT_PARAMETERS, PUBLISHING_STATUS],
    ...environmentParams(),
  };
}
