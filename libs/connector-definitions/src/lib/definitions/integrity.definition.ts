import { pingFederateDefinition } from './families/pingfederate';

/** Integrity Lifecycle Manager (Windchill RV&S) through PingFederate. */
export const INTEGRITY_DEFINITION = pingFederateDefinition({
  name: 'integrity',
  title: 'Integrity Lifecycle Manager',
  scopes: [['INTEGRITY_READ', 'Read Integrity Lifecycle Manager data']],
});
