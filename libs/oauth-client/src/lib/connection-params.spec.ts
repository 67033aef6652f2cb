import { customProvider, loadedProvider } from '../test/provider-fixtures';
import { validateConnectionParams } from './connection-params';

describe('validateConnectionParams', () => {
  const microsoft = loadedProvider('azure', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });

  it('fills the default and accepts a tenant GUID or domain', () => {
    expect(validateConnectionParams(microsoft, {})).toEqual({ values: { tenant: 'common' }, errors: [] });
    expect(validateConnectionParams(microsoft, { tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47' }).values).toEqual({
      tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    });
    expect(validateConnectionParams(microsoft, { tenant: 'contoso.onmicrosoft.com' }).errors).toEqual([]);
  });

  it.each(['evil.com/', 'evil.com/x', 'evil.com?', 'evil.com#', 'me@evil.com', 'a\\b', 'a b', ' common', '..', 'a..b', 'evil.com:443', '%2e%2e'])(
    'refuses tenant=%j (it would bend the URL)',
    (tenant) => {
      const { values, errors } = validateConnectionParams(microsoft, { tenant });
      expect(values).toEqual({});
      expect(errors).toHaveLength(1);
      expect(errors[0].param).toBe('tenant');
    },
  );

  it('explains what is wrong with an injected host in words a user understands', () => {
    expect(validateConnectionParams(microsoft, { tenant: 'evil.com/' }).errors).toEqual([{ param: 'tenant', message: 'Tenant must not contain "/"' }]);
  });

  it('refuses host and path tricks even where the definition has no pattern', () => {
    const provider = customProvider({
      base_url: 'https://{tenant}.idp.example.com/{realm}',
      oauth2_auth_url: '/authorize',
      oauth2_required: [
        { id: 'tenant', title: 'Tenant' },
        { id: 'realm', title: 'Realm' },
      ],
    });
    expect(validateConnectionParams(provider, { tenant: 'acme', realm: 'main' }).errors).toEqual([]);
    expect(validateConnectionParams(provider, { tenant: 'evil.com#', realm: 'main/../admin' }).errors.map((e) => e.param)).toEqual(['tenant', 'realm']);
  });

  it('accepts a value that starts a URL only as a plain http(s) origin with a path', () => {
    const provider = customProvider({
      oauth2_validate_url: '{server}/api/me',
      oauth2_required: [{ id: 'server', title: 'Server URL' }],
    });
    expect(validateConnectionParams(provider, { server: 'https://windchill.example.com:8443/Windchill' }).errors).toEqual([]);
    for (const server of ['javascript:alert(1)', 'https://user@evil.com', 'https://x.example.com/?q=1', 'https://x.example.com/#f', 'x.example.com', '//evil.com']) {
      expect([server, validateConnectionParams(provider, { server }).errors.length]).toEqual([server, 1]);
    }
  });

  it('applies the definition pattern anchored, even when the pattern is not', () => {
    const provider = customProvider({
      oauth2_required: [{ id: 'org', title: 'Organisation', pattern: '[a-z]+', pattern_description: 'lower-case letters' }],
    });
    expect(validateConnectionParams(provider, { org: 'acme' }).errors).toEqual([]);
    expect(validateConnectionParams(provider, { org: 'acme1' }).errors).toEqual([{ param: 'org', message: 'Organisation must be lower-case letters' }]);
  });

  it('checks the Dynamics environment against its pattern (a *.dynamics.com https URL)', () => {
    const dynamics = loadedProvider('dynamics365', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
    expect(validateConnectionParams(dynamics, { resource: 'https://contoso.crm.dynamics.com' }).errors).toEqual([]);
    expect(validateConnectionParams(dynamics, { resource: 'https://contoso.crm.dynamics.com.evil.com' }).errors.map((e) => e.param)).toEqual(['resource']);
  });

  it('takes the default from the provider parameter named by provider_default', () => {
    const provider = loadedProvider('zendesk', { CLIENT_ID: 'c', CLIENT_SECRET: 's', SUBDOMAIN: 'acme' });
    expect(validateConnectionParams(provider, {}).values).toEqual({ subdomain: 'acme' });
    expect(validateConnectionParams(provider, { subdomain: 'other' }).values).toEqual({ subdomain: 'other' });
  });

  it('says which required parameter is missing', () => {
    const zendesk = loadedProvider('zendesk', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
    expect(validateConnectionParams(zendesk, {}).errors).toEqual([{ param: 'subdomain', message: 'Zendesk subdomain is required' }]);
  });

  it('leaves an optional parameter out when it is not given', () => {
    const provider = customProvider({ oauth2_required: [{ id: 'hint', title: 'Login hint', optional: true }] });
    expect(validateConnectionParams(provider, {})).toEqual({ values: {}, errors: [] });
  });

  it('refuses unknown parameters and values that are not strings', () => {
    const { errors } = validateConnectionParams(microsoft, { tenant: 42, base_url: 'https://evil.com', __proto__: 'x' });
    expect(errors).toEqual(
      expect.arrayContaining([
        { param: 'base_url', message: 'unknown parameter for azure' },
        { param: 'tenant', message: 'Tenant must be a string' },
      ]),
    );
  });

  it('refuses control characters and overlong values anywhere', () => {
    const provider = customProvider({ oauth2_required: [{ id: 'note', title: 'Note' }] });
    expect(validateConnectionParams(provider, { note: 'a\r\nX-Injected: 1' }).errors).toHaveLength(1);
    expect(validateConnectionParams(provider, { note: 'x'.repeat(2049) }).errors).toHaveLength(1);
  });

  it('a type without per-connection parameters accepts only an empty input', () => {
    const github = loadedProvider('github', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
    expect(validateConnectionParams(github, {})).toEqual({ values: {}, errors: [] });
    expect(validateConnectionParams(github, { tenant: 'x' }).errors).toHaveLength(1);
  });
});
