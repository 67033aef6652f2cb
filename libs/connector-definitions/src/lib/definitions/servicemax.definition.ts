import { salesforceDefinition } from './families/salesforce';

/** ServiceMax Core: a Salesforce managed package, same endpoints and scopes. */
export const SERVICEMAX_DEFINITION = salesforceDefinition({
  name: 'servicemax',
  title: 'ServiceMax',
  scopes: [
    ['api', 'Access and manage your data'],
    ['refresh_token', 'Keep access (refresh token)'],
  ],
});
