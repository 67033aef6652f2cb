import type { ProviderParameter } from '../definition.types';

export const CLIENT_ID: ProviderParameter = {
  name: 'CLIENT_ID',
  required: true,
  format: 'string',
  description: 'Client identifier of the application registered at the provider.',
};

export const CLIENT_SECRET: ProviderParameter = {
  name: 'CLIENT_SECRET',
  required: true,
  secret: true,
  format: 'string',
  description: 'Client secret of the application registered at the provider.',
};

export const SCOPES: ProviderParameter = {
  name: 'SCOPES',
  required: false,
  format: 'scopes',
  description: 'Scopes to request instead of the defaults, separated by spaces or commas.',
};

/** CLIENT_ID, CLIENT_SECRET and the optional SCOPES override: what every OAuth 2 type takes. */
export const OAUTH2_CLIENT_PARAMETERS: readonly ProviderParameter[] = [CLIENT_ID, CLIENT_SECRET, SCOPES];
