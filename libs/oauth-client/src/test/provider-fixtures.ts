import { type ConnectorDefinition, type ConnectorType, getDefinition, validateConfiguration } from '@flow-oauth/connector-definitions';
import type { ProviderRecord } from '../lib/provider-record';

export const RETURN_URL = 'https://flow.example.com/Thingworx/Oauths/oauth/return';

/**
 * The odata sample definition of the seed page (configuring-and-loading-oauths.txt), verbatim: a
 * Dynamics 365 style definition with base_url `https://login.microsoftonline.com/{tenant}/oauth2`,
 * `resource` required and per-environment parameters.
 */
export const SEED_ODATA_SAMPLE = {
  name: 'odata',
  created_at: '2017-02-27T09:26:46.890Z',
  updated_at: '2017-02-27T09:26:46.890Z',
  uid: 'oaufe1978bc9e71d999ef2ba4',
  icon: 'odata',
  version: 'v1',
  __v: 0,
  title: 'Dynamics 365',
  oauth2_include: ['{"resource":"{resource}"}'],
  oauth2_required: [
    { title: 'Tenant ID', id: 'tenant', default: 'common', description: "Enter Dynamics 365 tenant id, leave it common if you don't have it" },
    { title: 'Resource URL', id: 'resource', description: 'Enter Dynamics 365 resource URL, eg: https://example.crm5.dynamics.com' },
  ],
  oauth2_params_scope: ['{"user_impersonation":"User Impersonation"}'],
  oauth2_refresh_data: [
    '{"client_secret":"{client_secret}"}',
    '{"grant_type":"refresh_token"}',
    '{"client_id":"{client_id}"}',
    '{"resource":"{resource}"}',
    '{"refresh_token":"{refresh_token}"}',
  ],
  oauth2_refresh_url: '/token',
  oauth2_token_data: [
    '{"redirect_uri":"{redirect_uri}"}',
    '{"client_id":"{client_id}"}',
    '{"client_secret":"{client_secret}"}',
    '{"resource":"{resource}"}',
    '{"grant_type":"authorization_code"}',
  ],
  oauth2_token_url: '/token',
  oauth2_auth_query: [
    '{"client_id":"{client_id}"}',
    '{"response_type":"code"}',
    '{"resource":"{resource}"}',
    '{"scope":"{scope}"}',
    '{"prompt":"login"}',
    '{"redirect_uri":"{redirect_uri}"}',
  ],
  oauth2_auth_url: '/authorize',
  oauth2_no_state: false,
  env_pre_prod_params: [
    '{"client_id":"{{{pre_prod.CLIENT_ID}}}"}',
    '{"client_secret":"{{{pre_prod.CLIENT_SECRET}}}"}',
    '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}',
  ],
  env_production_params: [
    '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}',
    '{"client_id":"{{{production.CLIENT_ID}}}"}',
    '{"client_secret":"{{{production.CLIENT_SECRET}}}"}',
  ],
  env_staging_params: [
    '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}',
    '{"client_id":"{{{staging.CLIENT_ID}}}"}',
    '{"client_secret":"{{{staging.CLIENT_SECRET}}}"}',
  ],
  env_development_params: [
    '{"client_id":"{{{development.CLIENT_ID}}}"}',
    '{"client_secret":"{{{development.CLIENT_SECRET}}}"}',
    '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}',
  ],
  env_local_params: [
    '{"client_id":"{{{local.CLIENT_ID}}}"}',
    '{"client_secret":"{{{local.CLIENT_SECRET}}}"}',
    '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}',
  ],
  base_url: 'https://login.microsoftonline.com/{tenant}/oauth2',
  oauth_type: 'OAuth2',
  development_phase: 'new',
  advanced_enabled: true,
  express_enabled: true,
  deleted_at: null,
  published: true,
};

/** A provider as the config loader stores it: the file entry run through the definitions lib's validation. */
export function loadedProvider(type: ConnectorType, settings: Record<string, unknown>, name = `${type}-test`): ProviderRecord {
  const { providers, errors } = validateConfiguration({ [type]: { [name]: settings } });
  if (errors.length > 0) throw new Error(`fixture does not load: ${JSON.stringify(errors)}`);
  return providers[0];
}

/** A provider with a hand-written definition (for protocol cases no built-in definition has). */
export function customProvider(definition: Partial<ConnectorDefinition>, parameters: Record<string, unknown> = {}, secrets: Record<string, string> = {}): ProviderRecord {
  const full: ConnectorDefinition = { name: 'odata', title: 'Test', oauth_type: 'OAuth2', ...definition };
  return {
    type: full.name,
    name: 'Test-1',
    definition: full,
    parameters: { CLIENT_ID: 'test-client', ...parameters },
    secrets: { CLIENT_SECRET: 'test-client-secret-value', ...secrets },
  };
}

/** The built-in definition of a type with some fields replaced (e.g. endpoints pointed at a local server). */
export function builtInWith(type: ConnectorType, overrides: Partial<ConnectorDefinition>): ConnectorDefinition {
  return { ...getDefinition(type), ...overrides };
}
