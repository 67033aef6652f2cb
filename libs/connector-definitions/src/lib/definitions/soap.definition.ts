import { genericDefinition } from './families/generic';

/** SOAP (generic): endpoints and templates come from each provider in the configuration file. */
export const SOAP_DEFINITION = genericDefinition({ name: 'soap', title: 'SOAP' });
