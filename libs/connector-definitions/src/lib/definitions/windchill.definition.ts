import type { ProviderParameter, RequiredParameter } from '../definition.types';
import { pingFederateDefinition } from './families/pingfederate';
import { BEARER_HEADERS } from './template-lists';

const WINDCHILL_URL_PATTERN = '^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%-]+)*$';

const WINDCHILL_URL: RequiredParameter = {
  id: 'resource_url',
  title: 'Windchill URL',
  description: 'Windchill server URL, e.g. https://windchill.example.com/Windchill',
  provider_default: 'RESOURCE_URL',
  pattern: WINDCHILL_URL_PATTERN,
  pattern_description: 'an http(s) URL such as https://windchill.example.com:443/Windchill (no query, no trailing slash)',
};

const RESOURCE_URL: ProviderParameter = {
  name: 'RESOURCE_URL',
  required: false,
  format: 'url',
  description: 'Windchill URL (<protocol>://<Windchill FQDN>:<Port>/Windchill). Without it each user gives it when adding a connector.',
};

/** Windchill (WRS) through PingFederate; OAuth calls go under `<Windchill URL>/oauth/...`. */
export const WINDCHILL_DEFINITION = pingFederateDefinition({
  name: 'windchill',
  title: 'Windchill',
  scopes: [['WINDCHILL_READ', 'Read Windchill data']],
  required: [WINDCHILL_URL],
  parameters: [RESOURCE_URL],
  validateUrl: '{resource_url}/oauth/servlet/odata',
  validateHeaders: [...BEARER_HEADERS],
});
