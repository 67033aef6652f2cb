import { microsoftDefinition } from './families/microsoft';

/** Azure Resource Manager (Azure Service Management API permission). */
export const AZURE_DEFINITION = microsoftDefinition({
  name: 'azure',
  title: 'Azure',
  scopes: [
    ['offline_access', 'Keep access (refresh token)'],
    ['https://management.azure.com/user_impersonation', 'Access Azure Service Management as you'],
  ],
  validateUrl: 'https://management.azure.com/subscriptions?api-version=2022-12-01',
});
