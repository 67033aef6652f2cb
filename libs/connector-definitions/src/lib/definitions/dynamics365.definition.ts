import type { ProviderParameter, RequiredParameter } from '../definition.types';
import { microsoftDefinition } from './families/microsoft';

/** A Dataverse / Dynamics 365 environment URL: https, a *.dynamics.com host, nothing after it. */
export const DYNAMICS_ENVIRONMENT_PATTERN =
  '^https://[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.dynamics\\.com$';

const ENVIRONMENT: RequiredParameter = {
  id: 'resource',
  title: 'Environment URL',
  description: 'Dynamics 365 environment URL, e.g. https://example.crm5.dynamics.com',
  provider_default: 'RESOURCE_URL',
  pattern: DYNAMICS_ENVIRONMENT_PATTERN,
  pattern_description: 'an https URL of a *.dynamics.com host without a path, e.g. https://example.crm.dynamics.com',
};

const RESOURCE_URL: ProviderParameter = {
  name: 'RESOURCE_URL',
  required: false,
  format: 'url',
  description: 'Default environment URL for connectors of this provider (https://<org>.crm.dynamics.com).',
};

/**
 * Dynamics 365 / Dataverse on the v2.0 endpoint: the environment is named in the scope
 * (`https://<org>.crm.dynamics.com/user_impersonation`), so it is appended to the requested scopes.
 */
export const DYNAMICS365_DEFINITION = microsoftDefinition({
  name: 'dynamics365',
  title: 'Dynamics 365',
  scopes: [['offline_access', 'Keep access (refresh token)']],
  scopeTemplate: '{scope} {resource}/user_impersonation',
  required: [ENVIRONMENT],
  parameters: [RESOURCE_URL],
  validateUrl: '{resource}/api/data/v9.2/WhoAmI',
});
