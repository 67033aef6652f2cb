import type { ConnectorDefinition, ConnectorType, ProviderParameter } from '../../definition.types';
import { CLIENT_ID, CLIENT_SECRET, SCOPES } from '../provider-parameters';
import { BEARER_HEADERS, authorizationQuery, environmentParams, refreshData, tokenData } from '../template-lists';

function endpoint(name: string, description: string): ProviderParameter {
  return { name, required: false, format: 'url', description };
}

/** The simple form of a generic provider: its endpoints as plain parameters (seed: AUTH_URL, TOKEN_URL...). */
export const GENERIC_ENDPOINT_PARAMETERS: readonly ProviderParameter[] = [
  endpoint('AUTH_URL', 'Authorization endpoint (required unless the provider gives oauth2_auth_url).'),
  endpoint('TOKEN_URL', 'Token endpoint (required unless the provider gives oauth2_token_url).'),
  endpoint('REFRESH_URL', 'Refresh endpoint; defaults to the token endpoint.'),
  endpoint('VALIDATE_URL', 'A GET endpoint used to test an access token.'),
  endpoint('REVOKE_URL', 'RFC 7009 revocation endpoint, used when a connector is deleted.'),
];

/**
 * Skeleton of a generic connector type (odata, soap, swagger). It has no endpoints: each provider
 * in the file brings AUTH_URL + TOKEN_URL or a full definition (the seed's odata sample), or with
 * `"oauth_type": "OAuth1"` the three oauth1_* endpoints (see generic-provider-rules.ts); the templates here
 * are the defaults for whatever that provider leaves out.
 */
export function genericDefinition(product: { name: ConnectorType; title: string }): ConnectorDefinition {
  return {
    name: product.name,
    title: product.title,
    oauth_type: 'OAuth2',
    generic: true,
    oauth2_auth_query: authorizationQuery(),
    oauth2_token_data: tokenData(),
    oauth2_refresh_data: refreshData(),
    oauth2_validate_headers: [...BEARER_HEADERS],
    oauth2_params_scope: [],
    oauth2_no_state: false,
    oauth2_scope_separator: ' ',
    oauth2_pkce: 'S256',
    oauth2_client_auth: 'client_secret_post',
    // RFC 7009 section 2.1: a confidential client authenticates at the revocation endpoint, as at the
    // token endpoint (oauth2_client_auth says how); a provider that wants none sets `post_form`.
    oauth2_revoke_method: 'post_form_client_auth',
    refresh_token_rotates: 'unknown',
    refreshable: true,
    provider_parameters: [CLIENT_ID, CLIENT_SECRET, ...GENERIC_ENDPOINT_PARAMETERS, SCOPES],
    ...environmentParams(),
  };
}
