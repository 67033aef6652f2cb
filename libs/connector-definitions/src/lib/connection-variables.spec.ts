import { validateConfiguration } from './configuration-file';
import { buildTemplateContext, formatScopes, requestedScopes, resolveConnectionParameters, splitScopes } from './connection-variables';
import type { ConnectorDefinition } from './definition.types';
import { getDefinition } from './definitions/registry';
import { renderPairs, resolveUrl } from './template-engine';

const RETURN_URL = 'https://flow.example.com/Thingworx/Oauths/oauth/return';

describe('resolveConnectionParameters', () => {
  const azure = getDefinition('azure');

  it('uses the user value, else the provider default, else the definition default', () => {
    expect(resolveConnectionParameters(azure, {}, {}).values).toEqual({ tenant: 'common' });
    expect(resolveConnectionParameters(azure, { TENANT: 'organizations' }, {}).values).toEqual({ tenant: 'organizations' });
    expect(resolveConnectionParameters(azure, { TENANT: 'organizations' }, { tenant: 'contoso.onmicrosoft.com' }).values).toEqual({ tenant: 'contoso.onmicrosoft.com' });
    expect(resolveConnectionParameters(azure, {}, { tenant: '  ' }).values).toEqual({ tenant: 'common' });
  });

  it.each(['evil.com/', 'evil.com/x?', 'user@evil.com', 'evil.com:8443', '..', 'a b', 'a..b'])('refuses the tenant %j', (tenant) => {
    expect(resolveConnectionParameters(azure, {}, { tenant })).toEqual({
      values: {},
      errors: [{ path: '/tenant', message: expect.stringMatching(/^Tenant \(tenant\) must be a tenant ID/) }],
    });
  });

  it.each([
    ['zendesk', 'subdomain', 'acme', true],
    ['zendesk', 'subdomain', 'acme.evil.com', false],
    ['zendesk', 'subdomain', 'evil.com/', false],
    ['salesforce', 'login_host', 'test.salesforce.com', true],
    ['salesforce', 'login_host', 'acme--uat.sandbox.my.salesforce.com', true],
    ['salesforce', 'login_host', 'evil.com', false],
    ['salesforce', 'login_host', 'salesforce.com.evil.com', false],
    ['salesforce', 'login_host', 'evil.com/.salesforce.com', false],
    ['dynamics365', 'resource', 'https://acme.crm.dynamics.com', true],
    ['dynamics365', 'resource', 'https://acme.crm.dynamics.com/', false],
    ['dynamics365', 'resource', 'https://evil.com/.dynamics.com', false],
    ['dynamics365', 'resource', 'http://acme.crm.dynamics.com', false],
    ['windchill', 'resource_url', 'https://wc.example.com:8443/Windchill', true],
    ['windchill', 'resource_url', 'https://wc.example.com/Windchill?x=1', false],
  ] as const)('%s: %s=%s accepted=%s', (type, id, value, accepted) => {
    const result = resolveConnectionParameters(getDefinition(type), {}, { [id]: value });
    expect(result.errors.some((e) => e.path === `/${id}`)).toBe(!accepted);
  });

  it('asks the user for the Windchill URL only when the provider has no RESOURCE_URL', () => {
    const windchill = getDefinition('windchill');
    expect(resolveConnectionParameters(windchill, {}, {}).errors).toEqual([{ path: '/resource_url', message: 'Windchill URL (resource_url) is required' }]);
    expect(resolveConnectionParameters(windchill, { RESOURCE_URL: 'https://wc.example.com/Windchill' }, {})).toEqual({ values: { resource_url: 'https://wc.example.com/Windchill' }, errors: [] });
  });

  it('keeps a pattern-less value that goes into a URL URL-safe (the seed odata sample has no patterns)', () => {
    const def: ConnectorDefinition = {
      name: 'odata',
      title: 'Dynamics 365',
      oauth_type: 'OAuth2',
      base_url: 'https://login.microsoftonline.com/{tenant}/oauth2',
      oauth2_validate_url: '{site}/api/me',
      oauth2_required: [
        { id: 'tenant', title: 'Tenant ID', default: 'common' },
        { id: 'resource', title: 'Resource URL' },
        { id: 'site', title: 'Site', optional: true },
      ],
    };
    expect(resolveConnectionParameters(def, {}, { tenant: 'evil.com/x', resource: 'https://x.crm5.dynamics.com' }).errors).toEqual([
      { path: '/tenant', message: 'Tenant ID (tenant) may contain only letters, digits, ".", "_", "~" and "-" (it goes into a URL)' },
    ]);
    expect(resolveConnectionParameters(def, {}, { resource: 'https://x.crm5.dynamics.com', site: 'https://evil.com@x' }).errors).toEqual([
      { path: '/site', message: 'Site (site) must be an http(s) URL' },
    ]);
    expect(resolveConnectionParameters(def, {}, { resource: 'https://x.crm5.dynamics.com' })).toEqual({
      values: { tenant: 'common', resource: 'https://x.crm5.dynamics.com' },
      errors: [],
    });
  });
});

describe('scopes', () => {
  it('requests the keys of the scope map, joined by the separator', () => {
    const slack = getDefinition('slack');
    expect(requestedScopes(slack)).toEqual(['chat:write', 'channels:read']);
    expect(formatScopes(slack, requestedScopes(slack))).toBe('chat:write,channels:read');
  });

  it('splits scope text on spaces and commas', () => {
    expect(splitScopes(' a, b  c,d ')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitScopes(['a b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(splitScopes(undefined)).toEqual([]);
  });
});

describe('buildTemplateContext', () => {
  it('renders a complete Dynamics 365 authorize request from loaded settings', () => {
    const { providers } = validateConfiguration({
      dynamics365: { D: { CLIENT_ID: 'id-1', CLIENT_SECRET: 'secret-1', TENANT: 'contoso.onmicrosoft.com', RESOURCE_URL: 'https://acme.crm.dynamics.com' } },
    });
    const [provider] = providers;
    const connection = resolveConnectionParameters(provider.definition, provider.parameters, {});
    const ctx = buildTemplateContext({
      definition: provider.definition,
      environment: 'production',
      parameters: provider.parameters,
      secrets: provider.secrets,
      returnUrl: RETURN_URL,
      connection: connection.values,
      runtime: { state: 'st-1' },
    });
    expect(resolveUrl(provider.definition.oauth2_auth_url ?? '', provider.definition.base_url, ctx)).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
    );
    expect(renderPairs(provider.definition.oauth2_auth_query, ctx)).toEqual([
      ['client_id', 'id-1'],
      ['response_type', 'code'],
      ['redirect_uri', RETURN_URL],
      ['scope', 'offline_access https://acme.crm.dynamics.com/user_impersonation'],
      ['response_mode', 'query'],
    ]);
    expect(ctx.variables['state']).toBe('st-1');
  });

  it('joins a scopes-format provider parameter with the separator (Slack user_scope)', () => {
    const slack = getDefinition('slack');
    const ctx = buildTemplateContext({ definition: slack, environment: 'production', parameters: { CLIENT_ID: 'c', USER_SCOPES: 'users:read channels:history' }, secrets: { CLIENT_SECRET: 's' }, returnUrl: RETURN_URL });
    expect(Object.fromEntries(renderPairs(slack.oauth2_auth_query, ctx))['user_scope']).toBe('users:read,channels:history');
  });
});
