import { genericDefinition } from './families/generic';

/** Swagger (generic): endpoints and templates come from each provider in the configuration file. */
export const SWAGGER_DEFINITION = genericDefinition({ name: 'swagger', title: 'Swagger' });
