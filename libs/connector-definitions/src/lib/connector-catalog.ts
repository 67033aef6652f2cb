import type { ConnectorType, ProviderParameter } from './definition.types';
import { CONNECTOR_TYPES, getDefinition } from './definitions/registry';

/** Provider names of the sample file, as the documentation's snippets name them. */
const SAMPLE_PROVIDER_NAMES: Readonly<Record<ConnectorType, string>> = {
  azure: 'Azure',
  bitly: 'Bitly',
  box: 'Box',
  dropbox: 'Dropbox',
  dynamics365: 'Dynamics365',
  excel: 'Excel Online',
  github: 'Github',
  google_gmail: 'Gmail',
  google_drive: 'Google Drive',
  google_form: 'Google Form',
  google_sheet: 'Google Sheet',
  google_task: 'Google Tasks',
  google_translator: 'Google Translator',
  integrity: 'integrity',
  odata: 'OData',
  microsoft_365: 'Office 365',
  onedrive: 'OneDrive',
  salesforce: 'Salesforce',
  servicemax: 'Servicemax',
  slack: 'Slack',
  soap: 'SOAP',
  swagger: 'Swagger',
  trello: 'Trello',
  windchill: 'Windchill',
  youtube: 'Youtube',
  zendesk: 'Zendesk',
};

const PLACEHOLDERS: Readonly<Record<string, string>> = {
  CLIENT_ID: '<client id here>',
  CLIENT_SECRET: '<client secret here>',
  CONSUMER_KEY: '<consumer key here>',
  CONSUMER_SECRET: '<consumer secret here>',
  base_url: '<base url here>',
  AUTH_URL: '<authorization URL here>',
  TOKEN_URL: '<token URL here>',
};

function placeholder(name: string): string {
  return PLACEHOLDERS[name] ?? `<${name.toLowerCase().replace(/_/g, ' ')} here>`;
}

function sampleParameters(type: ConnectorType): ProviderParameter[] {
  const def = getDefinition(type);
  return (def.provider_parameters ?? []).filter((p) => p.required || (def.generic && (p.name === 'AUTH_URL' || p.name === 'TOKEN_URL')));
}

/** The sample configuration file for all 26 types, with `<placeholder>` values to replace. */
export function sampleConfiguration(): Record<string, Record<string, Record<string, string>>> {
  const sample: Record<string, Record<string, Record<string, string>>> = {};
  for (const type of CONNECTOR_TYPES) {
    const parameters: Record<string, string> = {};
    for (const parameter of sampleParameters(type)) parameters[parameter.name] = placeholder(parameter.name);
    sample[type] = { [SAMPLE_PROVIDER_NAMES[type]]: parameters };
  }
  return sample;
}

export interface ConnectorCatalogEntry {
  type: ConnectorType;
  title: string;
  protocol: 'OAuth2' | 'OAuth1';
  requiredParameters: string[];
  optionalParameters: string[];
  /** Endpoints come from each provider (AUTH_URL + TOKEN_URL, or a full definition). */
  generic: boolean;
}

/** What each connector type is and which parameters its providers take. */
export function connectorCatalog(): ConnectorCatalogEntry[] {
  return CONNECTOR_TYPES.map((type) => {
    const def = getDefinition(type);
    const parameters = def.provider_parameters ?? [];
    return {
      type,
      title: def.title,
      protocol: def.oauth_type,
      requiredParameters: parameters.filter((p) => p.required).map((p) => p.name),
      optionalParameters: parameters.filter((p) => !p.required).map((p) => p.name),
      generic: def.generic === true,
    };
  });
}
