import type { ConnectorDefinition, ConnectorType, ProviderParameter, RequiredParameter } from '../../definition.types';
import { CLIENT_ID, CLIENT_SECRET, SCOPES } from '../provider-parameters';
import { authorizationQuery, environmentParams, refreshData, scopeMap, tokenData } from '../template-lists';

export const PINGFEDERATE_BASE_URL: ProviderParameter = {
  name: 'base_url',
  aliases: ['BASE_URL'],
  required: true,
  format: 'url',
  strip_suffix: '/as',
  description: 'PingFederate runtime URL, e.g. https://pingfederate.example.com:9031 (a trailing /as is accepted).',
};

export const PF_IDP_ADAPTER_ID: ProviderParameter = {
  name: 'PF_IDP_ADAPTER_ID',
  required: false,
  format: 'string',
  description: 'IdP adapter instance to authenticate with; only needed with several IdP adapters.',
};

export interface PingFederateProduct {
  name: ConnectorType;
  title: string;
  scopes: ReadonlyArray<readonly [scope: string, title: string]>;
  required?: RequiredParameter[];
  parameters?: ProviderParameter[];
  validateUrl?: string;
  validateHeaders?: string[];
}

/**
 * PTC products behind PingFederate: `{base_url}/as/authorization.oauth2`, `/as/token.oauth2`,
 * `/as/revoke_token.oauth2`. `pfidpadapterid` is sent only when the provider names an adapter.
 * Refresh-token rolling is a PingFederate policy, so rotation is configurable.
 */
export function pingFederateDefinition(product: PingFederateProduct): ConnectorDefinition {
  return {
    name: product.name,
    title: product.title,
    oauth_type: 'OAuth2',
    base_url: '{base_url}',
    oauth2_auth_url: '/as/authorization.oauth2',
    oauth2_token_url: '/as/token.oauth2',
    oauth2_revoke_url: '/as/revoke_token.oauth2',
    oauth2_revoke_method: 'post_form_client_auth',
    ...(product.validateUrl ? { oauth2_validate_url: product.validateUrl, oauth2_validate_headers: product.validateHeaders } : {}),
    oauth2_auth_query: authorizationQuery([['pfidpadapterid', '{PF_IDP_ADAPTER_ID}']]),
    oauth2_token_data: tokenData(),
    oauth2_refresh_data: refreshData(),
    oauth2_params_scope: scopeMap(product.scopes),
    ...(product.required ? { oauth2_required: product.required } : {}),
    oauth2_scope_separator: ' ',
    oauth2_pkce: 'S256',
    oauth2_client_auth: 'client_secret_post',
    refresh_token_rotates: 'configurable',
    refreshable: true,
    provider_parameters: [CLIENT_ID, CLIENT_SECRET, PINGFEDERATE_BASE_URL, PF_IDP_ADAPTER_ID, SCOPES, ...(product.parameters ?? [])],
    ...environmentParams(),
  };
}
