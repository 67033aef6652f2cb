import { CONNECTOR_TYPES, type ConnectorType, getDefinition } from '@flow-oauth/connector-definitions';
import { type RecordingHttpServer, startRecordingServer } from '@flow-oauth/testing';
import { RETURN_URL, loadedProvider } from '../test/provider-fixtures';
import { validateConnectionParams } from './connection-params';
import { OAuthClient } from './oauth-client';
import type { ProviderRecord } from './provider-record';

/**
 * What ../shared/reference/providers.md says each connector type's authorization request looks like:
 * endpoint (host + path), scope separator and default scopes, provider-specific parameters, PKCE.
 */
interface AuthorizeFacts {
  /** File settings besides CLIENT_ID / CLIENT_SECRET. */
  settings?: Record<string, unknown>;
  /** What the user enters before the redirect. */
  connection?: Record<string, string>;
  endpoint: string;
  /** Expected `scope` query value; null: no scope parameter at all. */
  scope: string | null;
  params?: Record<string, string>;
  pkce: boolean;
}

const GOOGLE = 'https://accounts.google.com/o/oauth2/v2/auth';
const GOOGLE_OFFLINE = { access_type: 'offline', prompt: 'consent', response_type: 'code' };
const MICROSOFT = (tenant: string) => `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`;
const PF = 'https://pf.example.com:9031';
const GENERIC = { AUTH_URL: 'https://idp.example.com/oauth/authorize', TOKEN_URL: 'https://idp.example.com/oauth/token', SCOPES: 'read write' };

const FACTS: Record<Exclude<ConnectorType, 'trello'>, AuthorizeFacts> = {
  azure: {
    endpoint: MICROSOFT('common'),
    scope: 'offline_access https://management.azure.com/user_impersonation',
    params: { response_mode: 'query', response_type: 'code' },
    pkce: true,
  },
  bitly: { endpoint: 'https://bitly.com/oauth/authorize', scope: null, pkce: false },
  box: { endpoint: 'https://account.box.com/api/oauth2/authorize', scope: null, params: { response_type: 'code' }, pkce: false },
  dropbox: {
    endpoint: 'https://www.dropbox.com/oauth2/authorize',
    scope: 'account_info.read files.metadata.read files.content.read files.content.write',
    params: { token_access_type: 'offline', response_type: 'code' },
    pkce: true,
  },
  dynamics365: {
    connection: { tenant: 'contoso.onmicrosoft.com', resource: 'https://contoso.crm.dynamics.com' },
    endpoint: MICROSOFT('contoso.onmicrosoft.com'),
    scope: 'offline_access https://contoso.crm.dynamics.com/user_impersonation',
    params: { response_mode: 'query' },
    pkce: true,
  },
  excel: { endpoint: MICROSOFT('common'), scope: 'offline_access User.Read Files.ReadWrite', params: { response_mode: 'query' }, pkce: true },
  github: { endpoint: 'https://github.com/login/oauth/authorize', scope: 'repo read:user user:email', pkce: true },
  google_gmail: { endpoint: GOOGLE, scope: 'https://www.googleapis.com/auth/gmail.modify', params: GOOGLE_OFFLINE, pkce: true },
  google_drive: { endpoint: GOOGLE, scope: 'https://www.googleapis.com/auth/drive', params: GOOGLE_OFFLINE, pkce: true },
  google_form: {
    endpoint: GOOGLE,
    scope: 'https://www.googleapis.com/auth/forms.body https://www.googleapis.com/auth/forms.responses.readonly',
    params: GOOGLE_OFFLINE,
    pkce: true,
  },
  google_sheet: { endpoint: GOOGLE, scope: 'https://www.googleapis.com/auth/spreadsheets', params: GOOGLE_OFFLINE, pkce: true },
  google_task: { endpoint: GOOGLE, scope: 'https://www.googleapis.com/auth/tasks', params: GOOGLE_OFFLINE, pkce: true },
  google_translator: { endpoint: GOOGLE, scope: 'https://www.googleapis.com/auth/cloud-translation', params: GOOGLE_OFFLINE, pkce: true },
  integrity: {
    settings: { base_url: `${PF}/as`, PF_IDP_ADAPTER_ID: 'HTMLFormAdapter' },
    endpoint: `${PF}/as/authorization.oauth2`,
    scope: 'INTEGRITY_READ',
    params: { pfidpadapterid: 'HTMLFormAdapter', response_type: 'code' },
    pkce: true,
  },
  odata: { settings: GENERIC, endpoint: GENERIC.AUTH_URL, scope: 'read write', params: { response_type: 'code' }, pkce: true },
  microsoft_365: {
    connection: { tenant: 'organizations' },
    endpoint: MICROSOFT('organizations'),
    scope: 'offline_access User.Read Mail.ReadWrite Calendars.ReadWrite',
    params: { response_mode: 'query' },
    pkce: true,
  },
  onedrive: { connection: { tenant: 'consumers' }, endpoint: MICROSOFT('consumers'), scope: 'offline_access User.Read Files.ReadWrite.All', pkce: true },
  salesforce: { endpoint: 'https://login.salesforce.com/services/oauth2/authorize', scope: 'api refresh_token', pkce: true },
  servicemax: {
    connection: { login_host: 'test.salesforce.com' },
    endpoint: 'https://test.salesforce.com/services/oauth2/authorize',
    scope: 'api refresh_token',
    pkce: true,
  },
  slack: {
    settings: { USER_SCOPES: 'users:read' },
    endpoint: 'https://slack.com/oauth/v2/authorize',
    scope: 'chat:write,channels:read',
    params: { user_scope: 'users:read' },
    pkce: false,
  },
  soap: { settings: GENERIC, endpoint: GENERIC.AUTH_URL, scope: 'read write', pkce: true },
  swagger: { settings: GENERIC, endpoint: GENERIC.AUTH_URL, scope: 'read write', pkce: true },
  windchill: {
    settings: { base_url: PF, RESOURCE_URL: 'https://windchill.example.com/Windchill' },
    endpoint: `${PF}/as/authorization.oauth2`,
    scope: 'WINDCHILL_READ',
    pkce: true,
  },
  youtube: { endpoint: GOOGLE, scope: 'https://www.googleapis.com/auth/youtube.readonly', params: GOOGLE_OFFLINE, pkce: true },
  zendesk: {
    connection: { subdomain: 'acme' },
    endpoint: 'https://acme.zendesk.com/oauth/authorizations/new',
    scope: 'read write',
    params: { response_type: 'code' },
    pkce: true,
  },
};

describe('authorize URLs of the built-in connector types match the provider facts', () => {
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production' });
  afterAll(() => client.close());

  it('covers every connector type', () => {
    expect([...Object.keys(FACTS), 'trello'].sort()).toEqual([...CONNECTOR_TYPES].sort());
  });

  it.each(Object.entries(FACTS) as Array<[ConnectorType, AuthorizeFacts]>)('%s', (type, facts) => {
    const provider = loadedProvider(type, { CLIENT_ID: 'client-123', CLIENT_SECRET: 'secret-456', ...facts.settings });
    const { values, errors } = validateConnectionParams(provider, facts.connection ?? {});
    expect(errors).toEqual([]);

    const result = client.buildAuthorizationUrl(provider, { state: 'state-abc', connectionParams: values });
    const url = new URL(result.url);
    const query = url.searchParams;

    expect(`${url.origin}${url.pathname}`).toBe(facts.endpoint);
    expect(query.get('client_id')).toBe('client-123');
    expect(query.get('redirect_uri')).toBe(RETURN_URL);
    expect(query.get('state')).toBe('state-abc');
    expect(query.get('scope')).toBe(facts.scope);
    for (const [key, value] of Object.entries(facts.params ?? {})) expect([key, query.get(key)]).toEqual([key, value]);
    if (facts.pkce) {
      expect(query.get('code_challenge_method')).toBe('S256');
      expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(result.codeVerifier).toBeDefined();
    } else {
      expect(query.has('code_challenge')).toBe(false);
      expect(result.codeVerifier).toBeUndefined();
    }
    // Every parameter appears once; none is left empty; the secret never travels in the browser.
    const keys = [...query.keys()];
    expect(new Set(keys).size).toBe(keys.length);
    for (const [key, value] of query) expect([key, value]).not.toEqual([key, '']);
    expect(result.url).not.toContain('secret-456');
  });

  it('requests the scopes the user asked for, joined with the definition separator (Slack: comma)', () => {
    const provider = loadedProvider('slack', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
    const result = client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {}, scopes: ['chat:write', 'users:read'] });
    expect(new URL(result.url).searchParams.get('scope')).toBe('chat:write,users:read');
    expect(result.scope).toBe('chat:write,users:read');
  });

  it('uses the provider SCOPES setting instead of the definition defaults', () => {
    const provider = loadedProvider('google_drive', { CLIENT_ID: 'c', CLIENT_SECRET: 's', SCOPES: 'https://www.googleapis.com/auth/drive.file, openid' });
    expect(new URL(client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {} }).url).searchParams.get('scope')).toBe(
      'https://www.googleapis.com/auth/drive.file openid',
    );
  });

  it('refuses a requested scope that is not an RFC 6749 scope token', () => {
    const provider = loadedProvider('github', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
    expect(() => client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {}, scopes: ['repo user'] })).toThrow(
      expect.objectContaining({ kind: 'config' }),
    );
    expect(() => client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {}, scopes: ['"quoted"'] })).toThrow(
      expect.objectContaining({ kind: 'config' }),
    );
  });

  it('encodes a requested scope as one query value: it cannot add parameters', () => {
    const provider = loadedProvider('github', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
    const url = new URL(client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {}, scopes: ['repo&prompt=none'] }).url);
    expect(url.searchParams.get('scope')).toBe('repo&prompt=none');
    expect(url.searchParams.has('prompt')).toBe(false);
  });

  describe('trello (OAuth 1.0a)', () => {
    let server: RecordingHttpServer;
    beforeAll(async () => {
      server = await startRecordingServer(() => ({
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'oauth_token=request-token&oauth_token_secret=request-secret&oauth_callback_confirmed=true',
      }));
    });
    afterAll(() => server.stop());

    it('sends the user to OAuthAuthorizeToken with name, comma-separated scope and expiration=never', async () => {
      const provider = loadedProvider('trello', { CONSUMER_KEY: 'key-123', CONSUMER_SECRET: 'secret-456' });
      // Only the request-token leg is pointed at the local server; the authorize URL is trello's own.
      const local: ProviderRecord = { ...provider, definition: { ...provider.definition, oauth1_request_token_url: `${server.url}/1/OAuthGetRequestToken` } };
      expect(getDefinition('trello').oauth1_request_token_url).toBe('https://trello.com/1/OAuthGetRequestToken');
      expect(getDefinition('trello').oauth1_access_token_url).toBe('https://trello.com/1/OAuthGetAccessToken');

      const result = await client.oauth1RequestToken(local, { callbackUrl: RETURN_URL });

      const url = new URL(result.authorizeUrl);
      expect(`${url.origin}${url.pathname}`).toBe('https://trello.com/1/OAuthAuthorizeToken');
      expect(url.searchParams.get('oauth_token')).toBe('request-token');
      expect(url.searchParams.get('scope')).toBe('read,write');
      expect(url.searchParams.get('expiration')).toBe('never');
      expect(url.searchParams.get('name')).toBeTruthy();
      expect(result).toMatchObject({ token: 'request-token', tokenSecret: 'request-secret' });
      const [request] = server.requests;
      expect(request.method).toBe('POST');
      expect(request.headers['authorization']).toMatch(/^OAuth .*oauth_consumer_key="key-123"/);
      expect(request.headers['authorization']).toContain(`oauth_callback="${encodeURIComponent(RETURN_URL)}"`);
      expect(request.headers['authorization']).not.toContain('secret-456');
    });
  });
});
