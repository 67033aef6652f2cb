import { salesforceDefinition } from './families/salesforce';

/** Salesforce (production, sandbox or My Domain login host). */
export const SALESFORCE_DEFINITION = salesforceDefinition({
  name: 'salesforce',
  title: 'Salesforce',
  scopes: [
    ['api', 'Access and manage your data'],
    ['refresh_token', 'Keep access (refresh token)'],
  ],
});
