import type { ConnectorDefinition, ConnectorType } from '../definition.types';
import { AZURE_DEFINITION } from './azure.definition';
import { BITLY_DEFINITION } from './bitly.definition';
import { BOX_DEFINITION } from './box.definition';
import { DROPBOX_DEFINITION } from './dropbox.definition';
import { DYNAMICS365_DEFINITION } from './dynamics365.definition';
import { EXCEL_DEFINITION } from './excel.definition';
import { GITHUB_DEFINITION } from './github.definition';
import { GOOGLE_DRIVE_DEFINITION } from './google_drive.definition';
import { GOOGLE_FORM_DEFINITION } from './google_form.definition';
import { GOOGLE_GMAIL_DEFINITION } from './google_gmail.definition';
import { GOOGLE_SHEET_DEFINITION } from './google_sheet.definition';
import { GOOGLE_TASK_DEFINITION } from './google_task.definition';
import { GOOGLE_TRANSLATOR_DEFINITION } from './google_translator.definition';
import { INTEGRITY_DEFINITION } from './integrity.definition';
import { MICROSOFT_365_DEFINITION } from './microsoft_365.definition';
import { ODATA_DEFINITION } from './odata.definition';
import { ONEDRIVE_DEFINITION } from './onedrive.definition';
import { SALESFORCE_DEFINITION } from './salesforce.definition';
import { SERVICEMAX_DEFINITION } from './servicemax.definition';
import { SLACK_DEFINITION } from './slack.definition';
import { SOAP_DEFINITION } from './soap.definition';
import { SWAGGER_DEFINITION } from './swagger.definition';
import { TRELLO_DEFINITION } from './trello.definition';
import { WINDCHILL_DEFINITION } from './windchill.definition';
import { YOUTUBE_DEFINITION } from './youtube.definition';
import { ZENDESK_DEFINITION } from './zendesk.definition';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// The key order is the order of the documented connector table (and of the sample file).
const BUILT_IN_DEFINITIONS: Readonly<Record<ConnectorType, ConnectorDefinition>> = deepFreeze({
  azure: AZURE_DEFINITION,
  bitly: BITLY_DEFINITION,
  box: BOX_DEFINITION,
  dropbox: DROPBOX_DEFINITION,
  dynamics365: DYNAMICS365_DEFINITION,
  excel: EXCEL_DEFINITION,
  github: GITHUB_DEFINITION,
  google_gmail: GOOGLE_GMAIL_DEFINITION,
  google_drive: GOOGLE_DRIVE_DEFINITION,
  google_form: GOOGLE_FORM_DEFINITION,
  google_sheet: GOOGLE_SHEET_DEFINITION,
  google_task: GOOGLE_TASK_DEFINITION,
  google_translator: GOOGLE_TRANSLATOR_DEFINITION,
  integrity: INTEGRITY_DEFINITION,
  odata: ODATA_DEFINITION,
  microsoft_365: MICROSOFT_365_DEFINITION,
  onedrive: ONEDRIVE_DEFINITION,
  salesforce: SALESFORCE_DEFINITION,
  servicemax: SERVICEMAX_DEFINITION,
  slack: SLACK_DEFINITION,
  soap: SOAP_DEFINITION,
  swagger: SWAGGER_DEFINITION,
  trello: TRELLO_DEFINITION,
  windchill: WINDCHILL_DEFINITION,
  youtube: YOUTUBE_DEFINITION,
  zendesk: ZENDESK_DEFINITION,
});

/** The 26 connector configuration values, in the documented order. */
export const CONNECTOR_TYPES: readonly ConnectorType[] = Object.freeze(Object.keys(BUILT_IN_DEFINITIONS) as ConnectorType[]);

/** Whether a string is one of the 26 connector configuration values (case-sensitive). */
export function isConnectorType(value: string): value is ConnectorType {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_DEFINITIONS, value);
}

/** The built-in definition of a connector type (a skeleton for odata, soap, swagger); deeply frozen. */
export function getDefinition(type: ConnectorType): ConnectorDefinition {
  return BUILT_IN_DEFINITIONS[type];
}
