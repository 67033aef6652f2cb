import { fillPlaceholders, realisticValue } from '../test/realistic-values';
import { SEED_DEFINITION_ARRAY_SNIPPETS, SEED_ODATA_DEFINITION, SEED_PROVIDER_SNIPPETS } from '../test/seed-snippets';
import { buildEffectiveDefinition, parseConfigurationText, secretParameterNames, validateConfiguration } from './configuration-file';
import { connectorCatalog, sampleConfiguration } from './connector-catalog';
import { buildTemplateContext, resolveConnectionParameters } from './connection-variables';
import { CONNECTOR_TYPES } from './definitions/registry';
import { renderPairs, resolveUrl } from './template-engine';
import type { ValidationError } from './validation-error';

const ID = realisticValue('CLIENT_ID');
const SECRET = realisticValue('CLIENT_SECRET');
const RETURN_URL = 'https://flow.example.com/Thingworx/Oauths/oauth/return';

/** Parses and validates configuration text the way the load API does. */
function load(text: string): { providers: ReturnType<typeof validateConfiguration>['providers']; errors: ValidationError[] } {
  const parsed = parseConfigurationText(text);
  if (parsed.errors.length > 0) return { providers: [], errors: parsed.errors };
  return validateConfiguration(parsed.value);
}

function errorsOf(doc: unknown): ValidationError[] {
  return validateConfiguration(doc).errors;
}

function seedOdataDefinition(): Record<string, unknown> {
  const parsed = parseConfigurationText(SEED_ODATA_DEFINITION);
  expect(parsed.errors).toEqual([]);
  return parsed.value as Record<string, unknown>;
}

function providerNamesIn(text: string): string[] {
  const doc = parseConfigurationText(text).value as Record<string, Record<string, unknown>>;
  return Object.values(doc).flatMap((providers) => Object.keys(providers));
}

describe('the seed document', () => {
  it.each(SEED_PROVIDER_SNIPPETS.map((s) => [s.title, s.text]))('loads "%s" with its placeholders filled', (_title, text) => {
    const { providers, errors } = load(fillPlaceholders(text));
    expect(errors).toEqual([]);
    expect(providers.map((p) => p.name)).toEqual(providerNamesIn(text));
  });

  it('loads the provider names with spaces: "Google Tasks", "Excel Online", "Office 365"', () => {
    const text = SEED_PROVIDER_SNIPPETS.filter((s) => /Google Tasks|Excel Online|Office 365/.test(s.text))
      .map((s) => fillPlaceholders(s.text))
      .join(',\n');
    const { providers, errors } = load(text);
    expect(errors).toEqual([]);
    expect(providers.map((p) => `${p.type}/${p.name}`).sort()).toEqual(['excel/Excel Online', 'google_task/Google Tasks', 'microsoft_365/Office 365']);
  });

  it('loads the first Gmail snippet, whose members lack a comma, as a user pastes it', () => {
    const { providers, errors } = load(fillPlaceholders(SEED_PROVIDER_SNIPPETS[0].text));
    expect(errors).toEqual([]);
    expect(providers).toEqual([
      expect.objectContaining({ type: 'google_gmail', name: 'Gmail', parameters: { CLIENT_ID: ID }, secrets: { CLIENT_SECRET: SECRET } }),
    ]);
  });

  it.each(SEED_PROVIDER_SNIPPETS.map((s) => [s.title, s.text]))('refuses "%s" with its placeholders left in, naming every credential', (_title, text) => {
    const { providers, errors } = load(text);
    expect(providers).toEqual([]);
    const doc = parseConfigurationText(text).value as Record<string, Record<string, Record<string, string>>>;
    const expected = Object.entries(doc).flatMap(([type, named]) =>
      Object.entries(named).flatMap(([name, parameters]) => Object.keys(parameters).map((key) => `/${type}/${name}/${key}`)),
    );
    expect(errors.map((e) => e.path).sort()).toEqual(expected.sort());
    for (const error of errors) expect(error.message).toMatch(/still holds .*placeholder/);
  });

  it("catches the Box snippet's half placeholder \"client secret here>\"", () => {
    const box = SEED_PROVIDER_SNIPPETS.find((s) => s.title === 'box / Box');
    expect(box?.text).toContain('"client secret here>"');
    expect(load(box?.text ?? '').errors).toContainEqual({
      path: '/box/Box/CLIENT_SECRET',
      message: 'CLIENT_SECRET still holds a template placeholder (a value with < or >): put the real value in',
    });
  });

  it('loads the odata sample definition wrapped as a provider, and it renders a real authorize URL', () => {
    const { providers, errors } = validateConfiguration({ odata: { 'Dynamics 365': { ...seedOdataDefinition(), CLIENT_ID: ID, CLIENT_SECRET: SECRET } } });
    expect(errors).toEqual([]);
    const [provider] = providers;
    expect(provider).toMatchObject({ type: 'odata', name: 'Dynamics 365', secrets: { CLIENT_SECRET: SECRET } });
    expect(provider.parameters).not.toHaveProperty('CLIENT_SECRET');
    expect(provider.definition).toMatchObject({ name: 'odata', title: 'Dynamics 365', base_url: 'https://login.microsoftonline.com/{tenant}/oauth2', uid: 'oaufe1978bc9e71d999ef2ba4' });

    const def = provider.definition;
    const connection = resolveConnectionParameters(def, provider.parameters, { resource: 'https://example.crm5.dynamics.com' });
    expect(connection).toEqual({ values: { tenant: 'common', resource: 'https://example.crm5.dynamics.com' }, errors: [] });
    const ctx = buildTemplateContext({ definition: def, environment: 'production', parameters: provider.parameters, secrets: provider.secrets, returnUrl: RETURN_URL, connection: connection.values });
    expect(resolveUrl(def.oauth2_auth_url ?? '', def.base_url, ctx)).toBe('https://login.microsoftonline.com/common/oauth2/authorize');
    expect(renderPairs(def.oauth2_auth_query, ctx)).toEqual([
      ['client_id', ID],
      ['response_type', 'code'],
      ['resource', 'https://example.crm5.dynamics.com'],
      ['scope', 'user_impersonation'],
      ['prompt', 'login'],
      ['redirect_uri', RETURN_URL],
    ]);
    expect(Object.fromEntries(renderPairs(def.oauth2_token_data, ctx))).toMatchObject({ client_secret: SECRET, grant_type: 'authorization_code' });
  });

  it('refuses the odata sample pasted bare, with one error saying how to wrap it', () => {
    expect(load(SEED_ODATA_DEFINITION).errors).toEqual([
      {
        path: '',
        message:
          'this is a connector definition, not a configuration file: wrap it as {"odata": {"<provider name>": {...definition, "CLIENT_ID": "...", "CLIENT_SECRET": "..."}}} (custom definitions are accepted for odata, soap and swagger)',
      },
    ]);
  });

  it.each(['odata', 'soap', 'swagger'])('loads a %s provider given by AUTH_URL, TOKEN_URL, REFRESH_URL, VALIDATE_URL and the sample arrays', (type) => {
    const arrays = Object.assign({}, ...SEED_DEFINITION_ARRAY_SNIPPETS.map((text) => parseConfigurationText(text).value as object)) as Record<string, unknown>;
    const parameters = { CLIENT_ID: ID, CLIENT_SECRET: SECRET, AUTH_URL: 'https://as.example.com/oauth/authorize', TOKEN_URL: 'https://as.example.com/oauth/token', REFRESH_URL: 'https://as.example.com/oauth/refresh', VALIDATE_URL: 'https://api.example.com/me', ...arrays };
    const { providers, errors } = validateConfiguration({ [type]: { 'My API': parameters } });
    expect(errors).toEqual([]);
    expect(providers[0].definition).toMatchObject({
      oauth2_auth_url: 'https://as.example.com/oauth/authorize',
      oauth2_token_url: 'https://as.example.com/oauth/token',
      oauth2_refresh_url: 'https://as.example.com/oauth/refresh',
      oauth2_validate_url: 'https://api.example.com/me',
      oauth2_params_scope: ['{"READ":"READ_PRIVILEGES"}'],
      oauth2_params_other: ['{"needurl":"true"}'],
    });
    expect(buildEffectiveDefinition(type as 'odata', providers[0].parameters)).toEqual(providers[0].definition);
  });
});

describe('the sample configuration', () => {
  it('has one provider per connector type, named as in the documentation', () => {
    const sample = sampleConfiguration();
    expect(Object.keys(sample)).toEqual([...CONNECTOR_TYPES]);
    expect(Object.keys(sample['google_task'])).toEqual(['Google Tasks']);
    expect(Object.keys(sample['excel'])).toEqual(['Excel Online']);
    expect(Object.keys(sample['microsoft_365'])).toEqual(['Office 365']);
    expect(Object.keys(sample['google_gmail'])).toEqual(['Gmail']);
    expect(sample['trello']).toEqual({ Trello: { CONSUMER_KEY: '<consumer key here>', CONSUMER_SECRET: '<consumer secret here>' } });
    expect(sample['windchill']['Windchill']).toHaveProperty('base_url', '<base url here>');
    expect(sample['odata']['OData']).toEqual({ CLIENT_ID: '<client id here>', CLIENT_SECRET: '<client secret here>', AUTH_URL: '<authorization URL here>', TOKEN_URL: '<token URL here>' });
  });

  it('loads with zero errors once its placeholders are replaced', () => {
    const text = fillPlaceholders(JSON.stringify(sampleConfiguration(), null, 2));
    const { providers, errors } = load(text);
    expect(errors).toEqual([]);
    expect(providers).toHaveLength(26);
    expect(new Set(providers.map((p) => p.type)).size).toBe(26);
  });

  it('reports a placeholder error for every value when loaded as it is', () => {
    const sample = sampleConfiguration();
    const { providers, errors } = validateConfiguration(sample);
    expect(providers).toEqual([]);
    const expected = Object.entries(sample).flatMap(([type, named]) =>
      Object.entries(named).flatMap(([name, parameters]) => Object.keys(parameters).map((key) => `/${type}/${name}/${key}`)),
    );
    expect(expected.length).toBeGreaterThanOrEqual(52);
    expect(errors.map((e) => e.path)).toEqual(expected);
    for (const error of errors) expect(error.message).toMatch(/still holds .*placeholder/);
  });

  it('is described by the catalog', () => {
    const catalog = connectorCatalog();
    expect(catalog).toHaveLength(26);
    expect(catalog.find((c) => c.type === 'trello')).toEqual({
      type: 'trello',
      title: 'Trello',
      protocol: 'OAuth1',
      requiredParameters: ['CONSUMER_KEY', 'CONSUMER_SECRET'],
      optionalParameters: ['SCOPES'],
      generic: false,
    });
    expect(catalog.find((c) => c.type === 'windchill')).toMatchObject({ requiredParameters: ['CLIENT_ID', 'CLIENT_SECRET', 'base_url'], optionalParameters: expect.arrayContaining(['PF_IDP_ADAPTER_ID', 'RESOURCE_URL']) });
    expect(catalog.filter((c) => c.generic).map((c) => c.type)).toEqual(['odata', 'soap', 'swagger']);
    expect(catalog.find((c) => c.type === 'azure')?.optionalParameters).toEqual(['SCOPES', 'TENANT']);
  });
});

describe('configuration errors', () => {
  const gmail = { CLIENT_ID: ID, CLIENT_SECRET: SECRET };

  it.each([
    ['an array', []],
    ['a string', 'google_gmail'],
    ['null', null],
    ['a number', 42],
  ])('refuses a document that is %s', (_label, doc) => {
    const errors = errorsOf(doc);
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe('');
    expect(errors[0].message).toMatch(/must be a JSON object of connector types/);
  });

  it('refuses text that is not JSON, with line and column', () => {
    expect(load('{"google_gmail": {"Gmail": {"CLIENT_ID": "x"').errors[0].message).toMatch(/^not valid JSON at line 1, column \d+/);
    expect(load('not json').errors).toEqual([{ path: '', message: 'not valid JSON at line 1, column 1: expected a JSON value but found "n"' }]);
    expect(load('').errors).toEqual([{ path: '', message: 'the configuration is empty' }]);
  });

  it('reports duplicate keys of the raw text with their path', () => {
    const text = `{"google_gmail": {"Gmail-1": ${JSON.stringify(gmail)}, "Gmail-1": ${JSON.stringify(gmail)}}}`;
    expect(load(text).errors).toEqual([{ path: '/google_gmail/Gmail-1', message: 'duplicate key "Gmail-1": it appears more than once in the same object' }]);
  });

  it.each([
    ['gmail', 'did you mean "google_gmail"?'],
    ['Google_Gmail', 'did you mean "google_gmail"?'],
    ['google_tasks', 'did you mean "google_task"?'],
    ['office365', 'did you mean "microsoft_365"?'],
    ['Excel Online', 'did you mean "excel"?'],
    ['jira', 'valid types are azure, bitly,'],
  ])('refuses the unknown connector type %s, suggesting the closest', (type, hint) => {
    const errors = errorsOf({ [type]: { Provider: gmail } });
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe(`/${type}`);
    expect(errors[0].message).toContain(`unknown connector type "${type}"`);
    expect(errors[0].message).toContain(hint);
    expect(errors[0].message).toContain('must be used exactly as documented');
  });

  it('refuses a provider value that is not an object', () => {
    expect(errorsOf({ slack: { Slack: 'x' } })).toEqual([{ path: '/slack/Slack', message: 'provider "Slack" must be an object of parameters, not a string' }]);
    expect(errorsOf({ slack: [] })[0]).toMatchObject({ path: '/slack', message: expect.stringContaining('must be an object of named providers') });
  });

  it('explains parameters put directly under the connector type', () => {
    expect(errorsOf({ slack: gmail })).toEqual([{ path: '/slack', message: expect.stringContaining('the parameters are one level too high') }]);
  });

  it.each([
    ['empty', '', '/google_drive/', 'the provider name must not be empty'],
    ['blank', '   ', '/google_drive/   ', 'the provider name must not be empty'],
    ['over 64 characters', 'x'.repeat(65), `/google_drive/${'x'.repeat(65)}`, 'the provider name is 65 characters long; at most 64 are allowed'],
    ['with a control character', 'a\nb', '/google_drive/a\nb', 'the provider name must not contain control characters'],
  ])('refuses a provider name that is %s', (_label, name, path, message) => {
    expect(errorsOf({ google_drive: { [name]: gmail } })).toEqual([{ path, message }]);
  });

  it('accepts a provider name of exactly 64 characters', () => {
    expect(errorsOf({ google_drive: { ['x'.repeat(64)]: gmail } })).toEqual([]);
  });

  it.each(['Google', 'google', 'GOOGLE ', ' Google'])('refuses the Gmail provider name %j (documented rule), and only for Gmail', (name) => {
    expect(errorsOf({ google_gmail: { [name]: gmail } })).toEqual([
      { path: `/google_gmail/${name}`, message: 'a Gmail provider cannot be named "Google"; choose another name such as "Gmail"' },
    ]);
    expect(errorsOf({ google_drive: { [name]: gmail } })).toEqual([]);
  });

  it('reports a missing required parameter at its own path', () => {
    expect(errorsOf({ slack: { 'Slack-1': { CLIENT_ID: ID } } })).toEqual([{ path: '/slack/Slack-1/CLIENT_SECRET', message: 'CLIENT_SECRET is required' }]);
    expect(errorsOf({ windchill: { W: gmail } })).toEqual([{ path: '/windchill/W/base_url', message: 'base_url is required (also accepted as BASE_URL)' }]);
    expect(errorsOf({ trello: { T: gmail } }).map((e) => e.path)).toEqual([
      '/trello/T/CLIENT_ID',
      '/trello/T/CLIENT_SECRET',
      '/trello/T/CONSUMER_KEY',
      '/trello/T/CONSUMER_SECRET',
    ]);
  });

  it('reports an empty required parameter', () => {
    expect(errorsOf({ slack: { S: { CLIENT_ID: ' ', CLIENT_SECRET: SECRET } } })).toEqual([{ path: '/slack/S/CLIENT_ID', message: 'CLIENT_ID is required and must not be empty' }]);
  });

  it('reports wrong types without echoing a secret', () => {
    const errors = errorsOf({ slack: { S: { CLIENT_ID: 12345, CLIENT_SECRET: 987654321 } } });
    expect(errors).toEqual([
      { path: '/slack/S/CLIENT_ID', message: 'CLIENT_ID must be a string, not a number' },
      { path: '/slack/S/CLIENT_SECRET', message: 'CLIENT_SECRET must be a string, not a number' },
    ]);
  });

  it('refuses a parameter the connector type does not take, saying which are allowed', () => {
    expect(errorsOf({ google_gmail: { Gmail: { ...gmail, CLIENT_SECRETS: 'x' } } })).toEqual([
      { path: '/google_gmail/Gmail/CLIENT_SECRETS', message: 'unknown parameter CLIENT_SECRETS for google_gmail (did you mean CLIENT_SECRET?); allowed: CLIENT_ID, CLIENT_SECRET, SCOPES' },
    ]);
  });

  it.each([
    ['without a scheme', 'pingfederate.example.com:9031', ' (got "pingfederate.example.com:9031")'],
    ['with another scheme', 'ftp://pingfederate.example.com', ' (got "ftp://pingfederate.example.com")'],
    // user:password@ are credentials: not echoed.
    ['with user info', 'https://user:pw-Zr8@pingfederate.example.com', ''],
  ])('refuses a URL parameter %s', (_label, url, echo) => {
    expect(errorsOf({ windchill: { W: { ...gmail, BASE_URL: url } } })).toEqual([{ path: '/windchill/W/BASE_URL', message: `BASE_URL must be an absolute http(s) URL${echo}` }]);
  });

  it('normalises BASE_URL to base_url and accepts both PingFederate base forms', () => {
    const { providers, errors } = validateConfiguration({
      windchill: {
        Seed: { ...gmail, BASE_URL: 'https://pf.example.com:9031/as/' },
        Ping: { ...gmail, base_url: 'https://pf.example.com:9031', RESOURCE_URL: 'https://wc.example.com/Windchill', PF_IDP_ADAPTER_ID: 'HTMLFormAdapter' },
      },
      integrity: { integrity: { ...gmail, base_url: 'https://pf.example.com:9031/as' } },
    });
    expect(errors).toEqual([]);
    for (const provider of providers) expect(provider.parameters['base_url']).toBe('https://pf.example.com:9031');
    expect(providers[0].parameters).not.toHaveProperty('BASE_URL');
  });

  it('refuses the same parameter under two spellings', () => {
    expect(errorsOf({ integrity: { I: { ...gmail, base_url: 'https://a.example.com', BASE_URL: 'https://a.example.com' } } })).toEqual([
      { path: '/integrity/I/BASE_URL', message: 'base_url is given twice (as base_url and as BASE_URL)' },
    ]);
  });

  it.each([
    ['azure', 'TENANT', 'evil.com/'],
    ['azure', 'TENANT', 'user@evil.com'],
    ['azure', 'TENANT', 'evil.com:443'],
    ['zendesk', 'SUBDOMAIN', 'acme.evil.com'],
    ['salesforce', 'LOGIN_HOST', 'login.evil.com'],
    ['dynamics365', 'RESOURCE_URL', 'https://acme.crm.dynamics.com.evil.com'],
  ])('checks the %s default %s=%s against the per-connection pattern', (type, parameter, value) => {
    const errors = errorsOf({ [type]: { P: { ...gmail, [parameter]: value } } });
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe(`/${type}/P/${parameter}`);
    expect(errors[0].message).toMatch(new RegExp(`^${parameter} must be`));
  });

  it('accepts good per-type extras', () => {
    expect(
      errorsOf({
        azure: { A: { ...gmail, TENANT: 'contoso.onmicrosoft.com' } },
        zendesk: { Z: { ...gmail, SUBDOMAIN: 'acme' } },
        salesforce: { S: { ...gmail, LOGIN_HOST: 'acme.my.salesforce.com' } },
        servicemax: { M: { ...gmail, LOGIN_HOST: 'test.salesforce.com' } },
        dynamics365: { D: { ...gmail, RESOURCE_URL: 'https://acme.crm.dynamics.com' } },
        slack: { S: { ...gmail, USER_SCOPES: 'users:read' } },
      }),
    ).toEqual([]);
  });

  it('applies the SCOPES override to the effective definition (text or array)', () => {
    const { providers } = validateConfiguration({ google_drive: { A: { ...gmail, SCOPES: 'https://www.googleapis.com/auth/drive.file, openid' }, B: { ...gmail, SCOPES: ['email', 'openid'] } } });
    expect(providers[0].definition.oauth2_params_scope).toEqual(['{"https://www.googleapis.com/auth/drive.file":"https://www.googleapis.com/auth/drive.file"}', '{"openid":"openid"}']);
    expect(providers[1].parameters['SCOPES']).toBe('email openid');
    expect(buildEffectiveDefinition('google_drive', providers[1].parameters).oauth2_params_scope).toEqual(['{"email":"email"}', '{"openid":"openid"}']);
  });

  it('a generic provider without token templates authenticates with HTTP Basic; its own templates or setting win', () => {
    const endpoints = { AUTH_URL: 'https://as.example.com/authorize', TOKEN_URL: 'https://as.example.com/token' };
    const auth = (params: Record<string, unknown>) => buildEffectiveDefinition('odata', { CLIENT_ID: 'id', ...endpoints, ...params }).oauth2_client_auth;
    expect(auth({})).toBe('client_secret_basic');
    expect(auth({ oauth2_client_auth: 'client_secret_post' })).toBe('client_secret_post');
    expect(auth({ oauth2_token_data: ['{"client_secret":"{client_secret}"}', '{"code":"{code}"}'] })).toBe('client_secret_post');
  });

  it('refuses spaces around a value', () => {
    expect(errorsOf({ box: { B: { CLIENT_ID: ` ${ID}`, CLIENT_SECRET: SECRET } } })).toEqual([{ path: '/box/B/CLIENT_ID', message: 'CLIENT_ID has spaces at the start or the end' }]);
  });

  describe('generic providers', () => {
    it('need AUTH_URL + TOKEN_URL or a full definition', () => {
      expect(errorsOf({ odata: { 'My OData': gmail } })).toEqual([
        {
          path: '/odata/My OData',
          message:
            'a odata provider needs its endpoints: AUTH_URL and TOKEN_URL (and REFRESH_URL, VALIDATE_URL if needed), or a full definition with oauth2_auth_url and oauth2_token_url as in the documented odata sample',
        },
      ]);
      expect(errorsOf({ soap: { S: { ...gmail, AUTH_URL: 'https://as.example.com/authorize' } } })).toEqual([{ path: '/soap/S/TOKEN_URL', message: 'the token endpoint is required' }]);
    });

    it('report an unknown template variable at the exact entry, naming it', () => {
      const def = seedOdataDefinition();
      const tokenData = [...(def['oauth2_token_data'] as string[])];
      tokenData[2] = '{"client_secret":"{client_secert}"}';
      const errors = errorsOf({ odata: { 'Dynamics 365': { ...def, oauth2_token_data: tokenData, CLIENT_ID: ID, CLIENT_SECRET: SECRET } } });
      expect(errors).toHaveLength(1);
      expect(errors[0].path).toBe('/odata/Dynamics 365/oauth2_token_data/2');
      expect(errors[0].message).toMatch(/^unknown template variable \{client_secert\} \(did you mean \{client_secret\}\?\)/);
    });

    it('report an unknown variable in AUTH_URL at AUTH_URL', () => {
      const errors = errorsOf({ swagger: { S: { ...gmail, AUTH_URL: 'https://login.example.com/{tenant}/authorize', TOKEN_URL: 'https://login.example.com/token' } } });
      expect(errors).toEqual([{ path: '/swagger/S/AUTH_URL', message: expect.stringMatching(/^unknown template variable \{tenant\}/) }]);
    });

    it('accept an AUTH_URL variable declared in oauth2_required', () => {
      const provider = {
        ...gmail,
        AUTH_URL: 'https://login.example.com/{tenant}/authorize',
        TOKEN_URL: 'https://login.example.com/{tenant}/token',
        oauth2_required: [{ id: 'tenant', title: 'Tenant', pattern: '^[a-z0-9-]+$' }],
      };
      expect(errorsOf({ swagger: { S: provider } })).toEqual([]);
    });

    it('report credential references naming an unknown environment or parameter', () => {
      const def = seedOdataDefinition();
      const errors = errorsOf({
        odata: {
          D: {
            ...def,
            env_production_params: ['{"client_id":"{{{prod.CLIENT_ID}}}"}', '{"client_secret":"{{{production.PASSWORD}}}"}'],
            CLIENT_ID: ID,
            CLIENT_SECRET: SECRET,
          },
        },
      });
      expect(errors).toEqual([
        { path: '/odata/D/env_production_params/0', message: expect.stringContaining('{{{prod.CLIENT_ID}}} must name an environment: one of local, development, staging, pre_prod, production') },
        { path: '/odata/D/env_production_params/1', message: expect.stringContaining('{{{production.PASSWORD}}} must name a provider parameter: one of CLIENT_ID, CLIENT_SECRET') },
      ]);
    });

    it('report malformed definition fields with their paths, all at once', () => {
      const errors = errorsOf({
        odata: {
          D: {
            ...gmail,
            base_url: 'https://login.example.com/oauth2',
            oauth2_auth_url: '/authorize',
            oauth2_token_url: '/token',
            oauth2_auth_query: ['{"a":"1","b":"2"}', 42],
            oauth2_required: [{ id: '1tenant', title: 'T' }, { id: 'x', title: 'X', pattern: '^(unclosed$' }],
            oauth2_no_state: 'no',
            oauth2_token_date: [],
            name: 'soap',
            provider_parameters: [],
          },
        },
      });
      expect(errors.map((e) => e.path)).toEqual([
        '/odata/D/provider_parameters',
        '/odata/D/name',
        '/odata/D/oauth2_no_state',
        '/odata/D/oauth2_token_date',
        '/odata/D/oauth2_required/0/id',
        '/odata/D/oauth2_required/1/pattern',
        '/odata/D/oauth2_auth_query/0',
        '/odata/D/oauth2_auth_query/1',
      ]);
      expect(errors[0].message).toBe('provider_parameters cannot be set in the configuration file');
      expect(errors[1].message).toBe('name must be "odata" (the connector type) or left out');
      expect(errors[3].message).toBe('unknown definition field oauth2_token_date (did you mean oauth2_token_data?)');
      expect(errors[6].message).toBe('a template entry must have exactly one key (it has 2)');
      expect(errors[7].message).toBe('a template entry must be a string, not a number');
    });

    it('report a relative endpoint without base_url', () => {
      expect(errorsOf({ odata: { D: { ...gmail, oauth2_auth_url: '/authorize', oauth2_token_url: 'https://as.example.com/token' } } })).toEqual([
        { path: '/odata/D/oauth2_auth_url', message: 'oauth2_auth_url is relative ("/authorize") but the definition has no base_url' },
      ]);
    });

    it('refuse giving an endpoint twice', () => {
      expect(errorsOf({ odata: { D: { ...gmail, AUTH_URL: 'https://a.example.com/x', oauth2_auth_url: 'https://a.example.com/x', TOKEN_URL: 'https://a.example.com/t' } } })).toEqual([
        { path: '/odata/D/AUTH_URL', message: 'give either AUTH_URL or oauth2_auth_url, not both' },
      ]);
    });
  });

  describe('generic OAuth 1.0a providers ("oauth_type": "OAuth1")', () => {
    const oauth1 = {
      oauth_type: 'OAuth1',
      base_url: 'https://api.example.com',
      oauth1_request_token_url: '/1/OAuthGetRequestToken',
      oauth1_authorize_url: 'https://www.example.com/1/OAuthAuthorizeToken',
      oauth1_access_token_url: '/1/OAuthGetAccessToken',
    };

    it('load with CLIENT_ID / CLIENT_SECRET and the three oauth1 endpoints, relative ones joined to base_url', () => {
      const { providers, errors } = validateConfiguration({ odata: { 'OData 1a': { ...gmail, ...oauth1 } } });
      expect(errors).toEqual([]);
      const [provider] = providers;
      expect(provider).toMatchObject({ type: 'odata', name: 'OData 1a', secrets: { CLIENT_SECRET: SECRET } });
      expect(provider.parameters).not.toHaveProperty('CLIENT_SECRET');
      expect(provider.definition).toMatchObject({ ...oauth1, name: 'odata', generic: true, refreshable: false });
      const ctx = buildTemplateContext({ definition: provider.definition, environment: 'production', parameters: provider.parameters, secrets: provider.secrets, returnUrl: RETURN_URL });
      expect(resolveUrl(provider.definition.oauth1_request_token_url ?? '', provider.definition.base_url, ctx)).toBe('https://api.example.com/1/OAuthGetRequestToken');
      expect(resolveUrl(provider.definition.oauth1_authorize_url ?? '', provider.definition.base_url, ctx)).toBe('https://www.example.com/1/OAuthAuthorizeToken');
      // The consumer key and secret are template variables under both names, as in the trello definition.
      expect(ctx.variables).toMatchObject({ client_id: ID, client_secret: SECRET, consumer_key: ID, consumer_secret: SECRET });
      expect(buildEffectiveDefinition('odata', provider.parameters)).toEqual(provider.definition);
    });

    it('take the optional revoke URL, authorize query, VALIDATE_URL and SCOPES', () => {
      const { providers, errors } = validateConfiguration({
        swagger: {
          S: {
            ...gmail,
            ...oauth1,
            oauth1_revoke_url: '/1/tokens/{token}?key={consumer_key}&token={token}',
            oauth1_auth_query: ['{"name":"Flow"}', '{"scope":"{scope}"}', '{"expiration":"never"}'],
            oauth1_signature_method: 'HMAC-SHA1',
            VALIDATE_URL: 'https://api.example.com/1/members/me',
            SCOPES: 'read,write',
          },
        },
      });
      expect(errors).toEqual([]);
      expect(providers[0].definition).toMatchObject({ oauth2_validate_url: 'https://api.example.com/1/members/me', oauth2_params_scope: ['{"read":"read"}', '{"write":"write"}'] });
    });

    it('accept CONSUMER_KEY / CONSUMER_SECRET for CLIENT_ID / CLIENT_SECRET, the secret kept secret', () => {
      const { providers, errors } = validateConfiguration({ soap: { S: { ...oauth1, CONSUMER_KEY: 'key-1', CONSUMER_SECRET: 'secret-1' } } });
      expect(errors).toEqual([]);
      expect(providers[0].parameters).toMatchObject({ CLIENT_ID: 'key-1' });
      expect(providers[0].parameters).not.toHaveProperty('CONSUMER_SECRET');
      expect(providers[0].secrets).toEqual({ CLIENT_SECRET: 'secret-1' });
      expect(secretParameterNames('soap')).toEqual(['CLIENT_SECRET']);
      expect(errorsOf({ soap: { S: { ...oauth1, CONSUMER_KEY: 'key-1', CLIENT_ID: 'key-1', CONSUMER_SECRET: '<consumer secret here>' } } })).toEqual([
        { path: '/soap/S/CLIENT_ID', message: 'CLIENT_ID is given twice (as CONSUMER_KEY and as CLIENT_ID)' },
        { path: '/soap/S/CONSUMER_SECRET', message: 'CONSUMER_SECRET still holds a template placeholder (a value with < or >): put the real value in' },
      ]);
      expect(errorsOf({ soap: { S: oauth1 } })).toEqual([
        { path: '/soap/S/CLIENT_ID', message: 'CLIENT_ID is required (also accepted as CONSUMER_KEY)' },
        { path: '/soap/S/CLIENT_SECRET', message: 'CLIENT_SECRET is required (also accepted as CONSUMER_SECRET)' },
      ]);
    });

    it.each(['oauth1_request_token_url', 'oauth1_authorize_url', 'oauth1_access_token_url'])('report a missing %s at its own path', (field) => {
      const provider: Record<string, unknown> = { ...gmail, ...oauth1 };
      delete provider[field];
      const errors = errorsOf({ odata: { O: provider } });
      expect(errors).toEqual([{ path: `/odata/O/${field}`, message: expect.stringMatching(new RegExp(`^an OAuth 1\\.0a odata provider needs ${field}: `)) }]);
    });

    it('need no OAuth 2 endpoints, and refuse them (they would be ignored)', () => {
      expect(errorsOf({ odata: { O: { ...gmail, oauth_type: 'OAuth1' } } }).map((e) => e.path)).toEqual([
        '/odata/O/oauth1_request_token_url',
        '/odata/O/oauth1_authorize_url',
        '/odata/O/oauth1_access_token_url',
      ]);
      const errors = errorsOf({ odata: { O: { ...gmail, ...oauth1, AUTH_URL: 'https://a.example.com/authorize', oauth2_token_url: '/token', REVOKE_URL: 'https://a.example.com/revoke' } } });
      expect(errors.map((e) => e.path)).toEqual(['/odata/O/AUTH_URL', '/odata/O/oauth2_token_url', '/odata/O/REVOKE_URL']);
      expect(errors[0].message).toMatch(/^AUTH_URL is an OAuth 2 endpoint, which an OAuth 1\.0a provider does not use/);
    });

    it('report a bad oauth1 endpoint or template with its path', () => {
      const withoutBase: Record<string, unknown> = { ...oauth1 };
      delete withoutBase['base_url'];
      const errors = errorsOf({
        odata: { O: { ...gmail, ...withoutBase, oauth1_access_token_url: 'ftp://x.example.com/t', oauth1_revoke_url: 'https://api.example.com/1/tokens/{tokn}' } },
      });
      expect(errors).toEqual([
        { path: '/odata/O/oauth1_request_token_url', message: 'oauth1_request_token_url is relative ("/1/OAuthGetRequestToken") but the definition has no base_url' },
        { path: '/odata/O/oauth1_access_token_url', message: 'oauth1_access_token_url must be an http(s) URL' },
        { path: '/odata/O/oauth1_revoke_url', message: expect.stringMatching(/^unknown template variable \{tokn\} \(did you mean \{token\}\?\)/) },
      ]);
    });

    it.each([['OAuth3'], ['oauth1'], ['OAuth 1.0a'], [1], [null]])('refuse oauth_type %p with one error at its path', (value) => {
      const errors = errorsOf({ odata: { O: { ...gmail, ...oauth1, oauth_type: value } } });
      expect(errors).toEqual([{ path: '/odata/O/oauth_type', message: expect.stringMatching(/^oauth_type must be "OAuth2" \(the default when left out\) or "OAuth1" \(OAuth 1\.0a\), not /) }]);
    });

    it('OAuth 2 providers refuse OAuth 1.0a settings and consumer credentials, never echoing a secret', () => {
      const errors = errorsOf({
        odata: { O: { CONSUMER_KEY: 'key-1', CONSUMER_SECRET: 'consumer-secret-1', AUTH_URL: 'https://a.example.com/authorize', TOKEN_URL: 'https://a.example.com/token', oauth1_request_token_url: 'https://a.example.com/rt' } },
      });
      expect(errors).toEqual([
        { path: '/odata/O/CONSUMER_KEY', message: 'CONSUMER_KEY is the OAuth 1.0a name of CLIENT_ID: use CLIENT_ID, or set "oauth_type": "OAuth1" for an OAuth 1.0a provider' },
        { path: '/odata/O/CONSUMER_SECRET', message: 'CONSUMER_SECRET is the OAuth 1.0a name of CLIENT_SECRET: use CLIENT_SECRET, or set "oauth_type": "OAuth1" for an OAuth 1.0a provider' },
        { path: '/odata/O/CLIENT_ID', message: 'CLIENT_ID is required' },
        { path: '/odata/O/CLIENT_SECRET', message: 'CLIENT_SECRET is required' },
        { path: '/odata/O/oauth1_request_token_url', message: 'oauth1_request_token_url is an OAuth 1.0a setting: set "oauth_type": "OAuth1" for an OAuth 1.0a provider' },
      ]);
      expect(JSON.stringify(errors)).not.toContain('consumer-secret-1');
      expect(errorsOf({ odata: { O: { ...gmail, oauth_type: 'OAuth2', AUTH_URL: 'https://a.example.com/authorize', TOKEN_URL: 'https://a.example.com/token' } } })).toEqual([]);
    });

    it('built-in definitions are unaffected: trello still takes only CONSUMER_KEY / CONSUMER_SECRET', () => {
      expect(errorsOf({ trello: { T: { CONSUMER_KEY: 'k', CONSUMER_SECRET: 's' } } })).toEqual([]);
      expect(errorsOf({ trello: { T: { CLIENT_ID: 'k', CONSUMER_KEY: 'k', CONSUMER_SECRET: 's' } } }).map((e) => e.path)).toEqual(['/trello/T/CLIENT_ID']);
      expect(errorsOf({ slack: { S: { ...gmail, oauth_type: 'OAuth1' } } }).map((e) => e.path)).toEqual(['/slack/S/oauth_type']);
    });
  });

  it('refuses prototype keys in an object that JSON.parse built', () => {
    const doc = JSON.parse(`{"__proto__": {}, "slack": {"constructor": ${JSON.stringify(gmail)}, "S": {"prototype": "x", "CLIENT_ID": "a", "CLIENT_SECRET": "b"}}}`) as unknown;
    expect(errorsOf(doc)).toEqual([
      { path: '/__proto__', message: 'the key "__proto__" is not allowed' },
      { path: '/slack/constructor', message: 'the key "constructor" is not allowed' },
      { path: '/slack/S/prototype', message: 'the key "prototype" is not allowed' },
    ]);
  });

  it('collects every error of a file instead of stopping at the first', () => {
    const errors = errorsOf({
      gmail: { Gmail: gmail },
      google_gmail: { Google: gmail, 'Gmail-2': { CLIENT_ID: '<client id here>' } },
      box: { Box: { CLIENT_ID: ID, CLIENT_SECRET: 'client secret here>' } },
      slack: { Slack: { CLIENT_ID: ID, CLIENT_SECRET: 1 } },
      odata: { O: gmail },
    });
    expect(errors.map((e) => e.path)).toEqual([
      '/gmail',
      '/google_gmail/Google',
      '/google_gmail/Gmail-2/CLIENT_ID',
      '/google_gmail/Gmail-2/CLIENT_SECRET',
      '/box/Box/CLIENT_SECRET',
      '/slack/Slack/CLIENT_SECRET',
      '/odata/O',
    ]);
  });

  it('never puts a secret value in a message', () => {
    const secrets = ['<s3cr3t-one>', 'S3CR3T-TWO ', 'consumer>SECRET'];
    const errors = errorsOf({
      slack: { S: { CLIENT_ID: ID, CLIENT_SECRET: secrets[0] } },
      box: { B: { CLIENT_ID: ID, CLIENT_SECRET: secrets[1] } },
      trello: { T: { CONSUMER_KEY: 'k', CONSUMER_SECRET: secrets[2] } },
    });
    expect(errors).toHaveLength(3);
    for (const error of errors) for (const secret of secrets) expect(error.message).not.toContain(secret.trim());
  });

  it('keeps secrets apart from the stored parameters', () => {
    const { providers } = validateConfiguration({ trello: { Trello: { CONSUMER_KEY: 'key-1', CONSUMER_SECRET: 'secret-1' } } });
    expect(providers[0]).toMatchObject({ parameters: { CONSUMER_KEY: 'key-1' }, secrets: { CONSUMER_SECRET: 'secret-1' } });
    expect(secretParameterNames('trello')).toEqual(['CONSUMER_SECRET']);
    expect(secretParameterNames('odata')).toEqual(['CLIENT_SECRET']);
  });

  it('accepts an empty document (nothing to load)', () => {
    expect(validateConfiguration({})).toEqual({ providers: [], errors: [] });
  });
});
