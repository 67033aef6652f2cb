import type { ConnectorDefinition } from './definition.types';
import {
  TemplateError,
  TemplateSyntaxError,
  type TemplateContext,
  environmentVariables,
  parseTemplatePair,
  renderPairs,
  renderString,
  resolveUrl,
  templateReferences,
} from './template-engine';

const RETURN_URL = 'https://flow.example.com/Thingworx/Oauths/oauth/return';

/** The error `run` throws; the test fails when it throws nothing. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected the call to throw, and it returned');
}

function context(variables: Record<string, string | undefined> = {}, credentials: Record<string, string | undefined> = {}): TemplateContext {
  return { variables, credentials, returnUrl: RETURN_URL };
}

describe('parseTemplatePair', () => {
  it('reads a one-key JSON string into key and unrendered value', () => {
    expect(parseTemplatePair('{"client_id":"{client_id}"}')).toEqual(['client_id', '{client_id}']);
  });

  it.each([
    ['not JSON', 'client_id={client_id}'],
    ['an array', '["a"]'],
    ['two keys', '{"a":"1","b":"2"}'],
    ['no key', '{}'],
    ['a number value', '{"expires_in":1800}'],
    ['an empty key', '{"":"x"}'],
    ['a prototype key', '{"__proto__":"x"}'],
  ])('refuses %s', (_label, entry) => {
    expect(() => parseTemplatePair(entry)).toThrow(TemplateSyntaxError);
  });
});

describe('templateReferences', () => {
  it('separates run-time variables, credentials and the return URL', () => {
    expect(templateReferences('{base_url}/x?t={tenant}&c={{{production.CLIENT_ID}}}&r={OAUTH_ENDPOINT_OAUTH_RETURN}&again={tenant}')).toEqual({
      variables: ['base_url', 'tenant'],
      credentials: [{ env: 'production', name: 'CLIENT_ID' }],
      returnUrl: true,
    });
  });

  it('leaves braces that are not references alone', () => {
    expect(templateReferences('{"a": 1} { not a var } {1x}')).toEqual({ variables: [], credentials: [], returnUrl: false });
  });
});

describe('renderString', () => {
  it('fills variables, credentials and the return URL', () => {
    const ctx = context({ tenant: 'common' }, { CLIENT_ID: 'abc' });
    expect(renderString('https://login.microsoftonline.com/{tenant}/oauth2?id={{{production.CLIENT_ID}}}&r={OAUTH_ENDPOINT_OAUTH_RETURN}', ctx)).toBe(
      `https://login.microsoftonline.com/common/oauth2?id=abc&r=${RETURN_URL}`,
    );
  });

  it('throws a TemplateError naming the variable without a value', () => {
    expect(() => renderString('{tenant}', context())).toThrow(TemplateError);
    const error = thrownBy(() => renderString('x {tenant} y', context()));
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).variable).toBe('tenant');
  });

  it('names a missing credential with its environment, never a value', () => {
    const error = thrownBy(() => renderString('{{{staging.CLIENT_SECRET}}}', context({}, { CLIENT_ID: 'client-id-value-7' })));
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).variable).toBe('staging.CLIENT_SECRET');
    expect((error as TemplateError).message).not.toContain('client-id-value-7');
  });

  it('does not read inherited properties as variables', () => {
    expect(() => renderString('{constructor}', context())).toThrow(TemplateError);
  });

  it('inserts values raw (no encoding)', () => {
    expect(renderString('{a}', context({ a: 'x y&z' }))).toBe('x y&z');
  });
});

describe('renderPairs', () => {
  const list = [
    '{"client_id":"{client_id}"}',
    '{"response_type":"code"}',
    '{"pfidpadapterid":"{PF_IDP_ADAPTER_ID}"}',
    '{"scope":"{scope}"}',
    '{"redirect_uri":"{redirect_uri}"}',
  ];

  it('renders in order and drops pairs whose variable is undefined or empty', () => {
    const ctx = context({ client_id: 'id-1', redirect_uri: RETURN_URL, scope: '' });
    expect(renderPairs(list, ctx)).toEqual([
      ['client_id', 'id-1'],
      ['response_type', 'code'],
      ['redirect_uri', RETURN_URL],
    ]);
  });

  it('keeps an optional pair once its variable has a value', () => {
    const ctx = context({ client_id: 'id-1', redirect_uri: RETURN_URL, scope: 'openid', PF_IDP_ADAPTER_ID: 'HTMLFormAdapter' });
    expect(renderPairs(list, ctx).map(([key]) => key)).toEqual(['client_id', 'response_type', 'pfidpadapterid', 'scope', 'redirect_uri']);
  });

  it('returns nothing for an absent list', () => {
    expect(renderPairs(undefined, context())).toEqual([]);
  });

  it('throws on a malformed entry', () => {
    expect(() => renderPairs(['{"a":"1","b":"2"}'], context())).toThrow(TemplateSyntaxError);
  });
});

describe('resolveUrl', () => {
  const ctx = context({ tenant: 'contoso.onmicrosoft.com', base_url: 'https://pf.example.com:9031' });

  it('joins a relative URL to base_url', () => {
    expect(resolveUrl('/token', 'https://login.microsoftonline.com/{tenant}/oauth2', ctx)).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token',
    );
  });

  it('joins without doubling or losing the slash', () => {
    expect(resolveUrl('token', 'https://a.example.com/oauth2/', ctx)).toBe('https://a.example.com/oauth2/token');
    expect(resolveUrl('/token', 'https://a.example.com/oauth2/', ctx)).toBe('https://a.example.com/oauth2/token');
    expect(resolveUrl('?x=1', 'https://a.example.com/oauth2', ctx)).toBe('https://a.example.com/oauth2?x=1');
  });

  it('keeps an absolute URL as it is, ignoring base_url', () => {
    expect(resolveUrl('https://oauth2.googleapis.com/token', 'https://other.example.com', ctx)).toBe('https://oauth2.googleapis.com/token');
  });

  it('renders a URL that starts with a variable', () => {
    expect(resolveUrl('/as/token.oauth2', '{base_url}', ctx)).toBe('https://pf.example.com:9031/as/token.oauth2');
    expect(resolveUrl('{base_url}/as/revoke_token.oauth2', undefined, ctx)).toBe('https://pf.example.com:9031/as/revoke_token.oauth2');
  });

  it('refuses a relative URL without a base', () => {
    expect(() => resolveUrl('/token', undefined, ctx)).toThrow(TemplateError);
  });

  it('throws when the base needs a missing variable', () => {
    expect(() => resolveUrl('/token', 'https://{subdomain}.zendesk.com', ctx)).toThrow(TemplateError);
  });
});

describe('environmentVariables', () => {
  const def: ConnectorDefinition = {
    name: 'odata',
    title: 'Dynamics 365',
    oauth_type: 'OAuth2',
    env_production_params: [
      '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}',
      '{"client_id":"{{{production.CLIENT_ID}}}"}',
      '{"client_secret":"{{{production.CLIENT_SECRET}}}"}',
    ],
    env_local_params: ['{"client_id":"{{{local.CLIENT_ID}}}"}', '{"redirect_uri":"http://localhost:3000/cb"}'],
  };
  const ctx = context({}, { CLIENT_ID: 'prod-id', CLIENT_SECRET: 'prod-secret' });

  it('renders the production list with credentials and the return URL', () => {
    expect(environmentVariables(def, 'production', ctx)).toEqual({ client_id: 'prod-id', client_secret: 'prod-secret', redirect_uri: RETURN_URL });
  });

  it('lets an environment list override the defaults', () => {
    expect(environmentVariables(def, 'local', ctx)).toEqual({ client_id: 'prod-id', client_secret: 'prod-secret', redirect_uri: 'http://localhost:3000/cb' });
  });

  it('falls back to CLIENT_ID, CLIENT_SECRET and the return URL without a list', () => {
    expect(environmentVariables(def, 'staging', ctx)).toEqual({ client_id: 'prod-id', client_secret: 'prod-secret', redirect_uri: RETURN_URL });
  });

  it('leaves out a variable whose credential is missing', () => {
    expect(environmentVariables(def, 'production', context({}, { CLIENT_ID: 'only-id' }))).toEqual({ client_id: 'only-id', redirect_uri: RETURN_URL });
  });
});
