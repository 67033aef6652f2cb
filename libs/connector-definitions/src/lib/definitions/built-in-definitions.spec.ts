import { buildTemplateContext } from '../connection-variables';
import { validateDefinition } from '../definition-schema';
import type { ConnectorDefinition, ConnectorType } from '../definition.types';
import { renderPairs, resolveUrl } from '../template-engine';
import { CONNECTOR_TYPES, getDefinition, isConnectorType } from './registry';

const RETURN_URL = 'https://flow.example.com/Thingworx/Oauths/oauth/return';

/** Parameters and connection values that make every built-in renderable. */
const PROVIDER_PARAMETERS: Record<string, string> = { CLIENT_ID: 'client-1', base_url: 'https://pf.example.com:9031' };
const CONNECTION_VALUES: Record<string, string> = {
  tenant: 'common',
  resource: 'https://acme.crm.dynamics.com',
  login_host: 'login.salesforce.com',
  subdomain: 'acme',
  resource_url: 'https://windchill.example.com/Windchill',
};

function rendered(def: ConnectorDefinition) {
  const ctx = buildTemplateContext({
    definition: def,
    environment: 'production',
    parameters: { ...PROVIDER_PARAMETERS, ...(def.oauth_type === 'OAuth1' ? { CONSUMER_KEY: 'key-1' } : {}) },
    secrets: { CLIENT_SECRET: 'secret-1', CONSUMER_SECRET: 'consumer-secret-1' },
    returnUrl: RETURN_URL,
    connection: CONNECTION_VALUES,
    runtime: { token: 'token-1' },
  });
  const url = (value: string | undefined): string | undefined => (value === undefined ? undefined : resolveUrl(value, def.base_url, ctx));
  return {
    authUrl: url(def.oauth_type === 'OAuth1' ? def.oauth1_authorize_url : def.oauth2_auth_url),
    tokenUrl: url(def.oauth_type === 'OAuth1' ? def.oauth1_access_token_url : def.oauth2_token_url),
    revokeUrl: url(def.oauth_type === 'OAuth1' ? def.oauth1_revoke_url : def.oauth2_revoke_url),
    query: Object.fromEntries(renderPairs(def.oauth_type === 'OAuth1' ? def.oauth1_auth_query : def.oauth2_auth_query, ctx)),
    tokenData: Object.fromEntries(renderPairs(def.oauth2_token_data, ctx)),
    tokenHeaders: Object.fromEntries(renderPairs(def.oauth2_token_headers, ctx)),
  };
}

describe('the built-in definitions', () => {
  it('cover the 26 documented connector types, in the documented order', () => {
    expect(CONNECTOR_TYPES).toEqual([
      'azure', 'bitly', 'box', 'dropbox', 'dynamics365', 'excel', 'github', 'google_gmail', 'google_drive', 'google_form',
      'google_sheet', 'google_task', 'google_translator', 'integrity', 'odata', 'microsoft_365', 'onedrive', 'salesforce',
      'servicemax', 'slack', 'soap', 'swagger', 'trello', 'windchill', 'youtube', 'zendesk',
    ]);
    for (const type of CONNECTOR_TYPES) expect(getDefinition(type).name).toBe(type);
  });

  it.each(CONNECTOR_TYPES)('%s passes the definition schema', (type) => {
    expect(validateDefinition(getDefinition(type), `/${type}`)).toEqual([]);
  });

  it('are frozen, so no caller can change them for everyone', () => {
    const def = getDefinition('google_gmail');
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.oauth2_auth_query)).toBe(true);
  });

  it('recognise connector types case-sensitively', () => {
    expect(isConnectorType('google_gmail')).toBe(true);
    expect(isConnectorType('Google_Gmail')).toBe(false);
    expect(isConnectorType('toString')).toBe(false);
  });

  it('mark exactly odata, soap and swagger as generic', () => {
    expect(CONNECTOR_TYPES.filter((t) => getDefinition(t).generic)).toEqual(['odata', 'soap', 'swagger']);
  });

  it('declare a secret for every type: CLIENT_SECRET, or CONSUMER_SECRET for trello', () => {
    for (const type of CONNECTOR_TYPES) {
      const secrets = (getDefinition(type).provider_parameters ?? []).filter((p) => p.secret).map((p) => p.name);
      expect(secrets).toEqual([type === 'trello' ? 'CONSUMER_SECRET' : 'CLIENT_SECRET']);
    }
  });
});

const GOOGLE_AUTH = 'https://accounts.google.com/o/oauth2/v2/auth';
const GOOGLE_TOKEN = 'https://oauth2.googleapis.com/token';
const GOOGLE_REVOKE = 'https://oauth2.googleapis.com/revoke';
const MS_AUTH = 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize';
const MS_TOKEN = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';
const GOOGLE_OFFLINE = { access_type: 'offline', prompt: 'consent' };
const MS_QUERY = { response_mode: 'query' };

interface Fact {
  type: ConnectorType;
  auth: string;
  token: string;
  revoke?: string;
  separator: string;
  pkce: 'S256' | false | undefined;
  /** Authorize-query values that must be present. */
  query?: Record<string, string>;
  scopes?: string;
  rotates: string;
  refreshable: boolean;
}

// From reference/providers.md (summary table, family notes, rotation table), rendered with
// tenant=common, login_host=login.salesforce.com, subdomain=acme, base_url=https://pf.example.com:9031.
const FACTS: Fact[] = [
  { type: 'azure', auth: MS_AUTH, token: MS_TOKEN, separator: ' ', pkce: 'S256', query: MS_QUERY, scopes: 'offline_access https://management.azure.com/user_impersonation', rotates: 'yes', refreshable: true },
  { type: 'bitly', auth: 'https://bitly.com/oauth/authorize', token: 'https://api-ssl.bitly.com/oauth/access_token', separator: ' ', pkce: false, rotates: 'no', refreshable: false },
  { type: 'box', auth: 'https://account.box.com/api/oauth2/authorize', token: 'https://api.box.com/oauth2/token', revoke: 'https://api.box.com/oauth2/revoke', separator: ' ', pkce: false, rotates: 'yes', refreshable: true },
  { type: 'dropbox', auth: 'https://www.dropbox.com/oauth2/authorize', token: 'https://api.dropboxapi.com/oauth2/token', revoke: 'https://api.dropboxapi.com/2/auth/token/revoke', separator: ' ', pkce: 'S256', query: { token_access_type: 'offline' }, scopes: 'account_info.read files.metadata.read files.content.read files.content.write', rotates: 'no', refreshable: true },
  { type: 'dynamics365', auth: MS_AUTH, token: MS_TOKEN, separator: ' ', pkce: 'S256', query: MS_QUERY, scopes: 'offline_access https://acme.crm.dynamics.com/user_impersonation', rotates: 'yes', refreshable: true },
  { type: 'excel', auth: MS_AUTH, token: MS_TOKEN, separator: ' ', pkce: 'S256', query: MS_QUERY, scopes: 'offline_access User.Read Files.ReadWrite', rotates: 'yes', refreshable: true },
  { type: 'github', auth: 'https://github.com/login/oauth/authorize', token: 'https://github.com/login/oauth/access_token', revoke: 'https://api.github.com/applications/client-1/token', separator: ' ', pkce: 'S256', scopes: 'repo read:user user:email', rotates: 'yes', refreshable: true },
  { type: 'google_gmail', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/gmail.modify', rotates: 'no', refreshable: true },
  { type: 'google_drive', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/drive', rotates: 'no', refreshable: true },
  { type: 'google_form', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/forms.body https://www.googleapis.com/auth/forms.responses.readonly', rotates: 'no', refreshable: true },
  { type: 'google_sheet', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/spreadsheets', rotates: 'no', refreshable: true },
  { type: 'google_task', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/tasks', rotates: 'no', refreshable: true },
  { type: 'google_translator', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/cloud-translation', rotates: 'no', refreshable: true },
  { type: 'integrity', auth: 'https://pf.example.com:9031/as/authorization.oauth2', token: 'https://pf.example.com:9031/as/token.oauth2', revoke: 'https://pf.example.com:9031/as/revoke_token.oauth2', separator: ' ', pkce: 'S256', scopes: 'INTEGRITY_READ', rotates: 'configurable', refreshable: true },
  { type: 'microsoft_365', auth: MS_AUTH, token: MS_TOKEN, separator: ' ', pkce: 'S256', query: MS_QUERY, scopes: 'offline_access User.Read Mail.ReadWrite Calendars.ReadWrite', rotates: 'yes', refreshable: true },
  { type: 'onedrive', auth: MS_AUTH, token: MS_TOKEN, separator: ' ', pkce: 'S256', query: MS_QUERY, scopes: 'offline_access User.Read Files.ReadWrite.All', rotates: 'yes', refreshable: true },
  { type: 'salesforce', auth: 'https://login.salesforce.com/services/oauth2/authorize', token: 'https://login.salesforce.com/services/oauth2/token', revoke: 'https://login.salesforce.com/services/oauth2/revoke', separator: ' ', pkce: 'S256', scopes: 'api refresh_token', rotates: 'no', refreshable: true },
  { type: 'servicemax', auth: 'https://login.salesforce.com/services/oauth2/authorize', token: 'https://login.salesforce.com/services/oauth2/token', revoke: 'https://login.salesforce.com/services/oauth2/revoke', separator: ' ', pkce: 'S256', scopes: 'api refresh_token', rotates: 'no', refreshable: true },
  { type: 'slack', auth: 'https://slack.com/oauth/v2/authorize', token: 'https://slack.com/api/oauth.v2.access', revoke: 'https://slack.com/api/auth.revoke', separator: ',', pkce: false, scopes: 'chat:write,channels:read', rotates: 'configurable', refreshable: true },
  { type: 'trello', auth: 'https://trello.com/1/OAuthAuthorizeToken', token: 'https://trello.com/1/OAuthGetAccessToken', revoke: 'https://api.trello.com/1/tokens/token-1?key=key-1&token=token-1', separator: ',', pkce: undefined, query: { name: 'Flow OAuth', expiration: 'never' }, scopes: 'read,write', rotates: 'no', refreshable: false },
  { type: 'windchill', auth: 'https://pf.example.com:9031/as/authorization.oauth2', token: 'https://pf.example.com:9031/as/token.oauth2', revoke: 'https://pf.example.com:9031/as/revoke_token.oauth2', separator: ' ', pkce: 'S256', scopes: 'WINDCHILL_READ', rotates: 'configurable', refreshable: true },
  { type: 'youtube', auth: GOOGLE_AUTH, token: GOOGLE_TOKEN, revoke: GOOGLE_REVOKE, separator: ' ', pkce: 'S256', query: GOOGLE_OFFLINE, scopes: 'https://www.googleapis.com/auth/youtube.readonly', rotates: 'no', refreshable: true },
  { type: 'zendesk', auth: 'https://acme.zendesk.com/oauth/authorizations/new', token: 'https://acme.zendesk.com/oauth/tokens', revoke: 'https://acme.zendesk.com/api/v2/oauth/tokens/current.json', separator: ' ', pkce: 'S256', scopes: 'read write', rotates: 'yes', refreshable: true },
];

describe('the built-in definitions match reference/providers.md', () => {
  it('has a fact row for every non-generic type', () => {
    expect(FACTS.map((f) => f.type).sort()).toEqual(CONNECTOR_TYPES.filter((t) => !getDefinition(t).generic).sort());
  });

  it.each(FACTS)('$type', (fact) => {
    const def = getDefinition(fact.type);
    const out = rendered(def);
    expect(out.authUrl).toBe(fact.auth);
    expect(out.tokenUrl).toBe(fact.token);
    if (fact.revoke) expect(out.revokeUrl).toBe(fact.revoke);
    else expect(out.revokeUrl).toBeUndefined();
    expect(def.oauth2_scope_separator ?? ' ').toBe(fact.separator);
    expect(def.oauth2_pkce).toBe(fact.pkce);
    expect(out.query).toMatchObject(fact.query ?? {});
    if (fact.scopes !== undefined) expect(out.query['scope']).toBe(fact.scopes);
    else expect(out.query['scope']).toBeUndefined();
    expect(def.refresh_token_rotates).toBe(fact.rotates);
    expect(def.refreshable).toBe(fact.refreshable);
  });

  it('sends the client credentials and the return URL in every OAuth 2 code exchange', () => {
    for (const type of CONNECTOR_TYPES.filter((t) => getDefinition(t).oauth_type === 'OAuth2' && !getDefinition(t).generic)) {
      expect(rendered(getDefinition(type)).tokenData).toMatchObject({
        grant_type: 'authorization_code',
        client_id: 'client-1',
        client_secret: 'secret-1',
        redirect_uri: RETURN_URL,
      });
    }
  });

  it('asks GitHub and Bitly for JSON token responses', () => {
    expect(rendered(getDefinition('github')).tokenHeaders).toEqual({ Accept: 'application/json' });
    expect(rendered(getDefinition('bitly')).tokenHeaders).toEqual({ Accept: 'application/json' });
  });

  it('keeps Salesforce token metadata and assumes a lifetime, since Salesforce sends no expires_in', () => {
    for (const type of ['salesforce', 'servicemax'] as const) {
      expect(getDefinition(type).oauth2_token_metadata).toEqual(['instance_url', 'id', 'issued_at']);
      expect(getDefinition(type).oauth2_default_expires_in).toBeGreaterThan(0);
    }
  });

  it('keeps Slack team metadata and sends user scopes only when the provider has them', () => {
    const slack = getDefinition('slack');
    expect(slack.oauth2_token_metadata).toContain('team');
    expect(rendered(slack).query['user_scope']).toBeUndefined();
  });

  it('sends pfidpadapterid only when the provider names an adapter', () => {
    const def = getDefinition('windchill');
    expect(rendered(def).query['pfidpadapterid']).toBeUndefined();
    const ctx = buildTemplateContext({
      definition: def,
      environment: 'production',
      parameters: { ...PROVIDER_PARAMETERS, PF_IDP_ADAPTER_ID: 'HTMLFormAdapter' },
      secrets: { CLIENT_SECRET: 's' },
      returnUrl: RETURN_URL,
      connection: CONNECTION_VALUES,
    });
    expect(Object.fromEntries(renderPairs(def.oauth2_auth_query, ctx))['pfidpadapterid']).toBe('HTMLFormAdapter');
  });

  it('uses the v2.0 endpoint with the tenant taken from the connection for every Microsoft type', () => {
    for (const type of ['azure', 'dynamics365', 'excel', 'microsoft_365', 'onedrive'] as const) {
      const def = getDefinition(type);
      expect(def.base_url).toBe('https://login.microsoftonline.com/{tenant}/oauth2/v2.0');
      expect(def.oauth2_required?.find((r) => r.id === 'tenant')).toMatchObject({ default: 'common', provider_default: 'TENANT' });
    }
  });

  it('trello is OAuth 1.0a with HMAC-SHA1', () => {
    expect(getDefinition('trello')).toMatchObject({
      oauth_type: 'OAuth1',
      oauth1_request_token_url: 'https://trello.com/1/OAuthGetRequestToken',
      oauth1_signature_method: 'HMAC-SHA1',
    });
  });
});
