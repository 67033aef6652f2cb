import { genericDefinition } from './families/generic';

/** OData (generic): endpoints and templates come from each provider in the configuration file. */
export const ODATA_DEFINITION = genericDefinition({ name: 'odata', title: 'OData' });
