import { SEED_ODATA_DEFINITION } from '../test/seed-snippets';
import { validateDefinition } from './definition-schema';
import { parseJson } from './strict-json';

const BASE = '/odata/Dynamics 365';
const PROVIDER_PARAMETERS = [
  { name: 'CLIENT_ID', required: true },
  { name: 'CLIENT_SECRET', required: true, secret: true },
];

function seedSample(): Record<string, unknown> {
  return { ...(parseJson(SEED_ODATA_DEFINITION).value as Record<string, unknown>), provider_parameters: PROVIDER_PARAMETERS };
}

function minimal(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'odata',
    title: 'Test',
    oauth_type: 'OAuth2',
    oauth2_auth_url: 'https://as.example.com/authorize',
    oauth2_token_url: 'https://as.example.com/token',
    provider_parameters: PROVIDER_PARAMETERS,
    ...extra,
  };
}

describe('validateDefinition', () => {
  it('accepts the seed odata sample with its metadata fields', () => {
    expect(validateDefinition(seedSample(), BASE)).toEqual([]);
  });

  it('requires a pattern for a per-connection value that forms part of a URL host', () => {
    const hostFromUser = minimal({
      oauth2_token_url: 'https://{host}/token',
      oauth2_required: [{ id: 'host', title: 'Host' }],
    });
    expect(validateDefinition(hostFromUser, BASE)).toEqual([
      { path: `${BASE}/oauth2_token_url`, message: expect.stringContaining('{host} is part of the host in oauth2_token_url') },
    ]);
    // A template that starts with the variable lets it supply the whole origin.
    const leading = minimal({ base_url: '{host}', oauth2_token_url: '{host}/token', oauth2_required: [{ id: 'host', title: 'Host' }] });
    expect(validateDefinition(leading, BASE).map((e) => e.path)).toEqual([`${BASE}/base_url`, `${BASE}/oauth2_token_url`]);
    const patterned = minimal({
      base_url: 'https://{sub}.example.com',
      oauth2_token_url: '/token',
      oauth2_required: [{ id: 'sub', title: 'Subdomain', pattern: '^[a-z0-9-]+$' }],
    });
    expect(validateDefinition(patterned, BASE)).toEqual([]);
    // In a path (the seed's {tenant}) no pattern is needed: the client keeps path values in their segment.
    expect(validateDefinition(seedSample(), BASE)).toEqual([]);
  });

  it('refuses a definition that is not an object', () => {
    expect(validateDefinition(['x'], BASE)).toEqual([{ path: BASE, message: 'a definition must be a JSON object, not an array' }]);
  });

  it('requires name, title, oauth_type and the endpoints of the protocol', () => {
    expect(validateDefinition({}, '')).toEqual([
      { path: '/name', message: 'name is required' },
      { path: '/title', message: 'title is required' },
      { path: '/oauth_type', message: 'oauth_type is required ("OAuth2" or "OAuth1")' },
    ]);
    expect(validateDefinition({ name: 't', title: 'T', oauth_type: 'OAuth1' }, '').map((e) => e.path)).toEqual([
      '/oauth1_request_token_url',
      '/oauth1_authorize_url',
      '/oauth1_access_token_url',
    ]);
    expect(validateDefinition({ name: 't', title: 'T', oauth_type: 'OAuth2', generic: true }, '')).toEqual([]);
  });

  it.each([
    ['oauth_type', 'OAuth3', 'oauth_type must be one of "OAuth2", "OAuth1"'],
    ['oauth2_pkce', 'S512', 'oauth2_pkce must be one of "S256", "plain", false'],
    ['oauth2_no_state', 'false', 'oauth2_no_state must be true or false'],
    ['oauth2_scope_separator', 1, 'oauth2_scope_separator must be a non-empty string'],
    ['oauth2_default_expires_in', -5, 'oauth2_default_expires_in must be a positive whole number of seconds'],
    ['oauth2_token_metadata', 'instance_url', 'oauth2_token_metadata must be an array of field names'],
    ['oauth2_token_data', '{"a":"b"}', 'oauth2_token_data must be an array of one-key JSON strings such as "{\\"client_id\\":\\"{client_id}\\"}"'],
    ['oauth2_revoke_url', 'ftp://as.example.com/revoke', 'oauth2_revoke_url must be an http(s) URL'],
    ['oauth2_validate_url', '//api.example.com/me', 'oauth2_validate_url must name its scheme (https://...)'],
    ['base_url', 'login.example.com', 'base_url must be an absolute http(s) URL'],
    ['oauth2_refresh_url', 'https://as.example.com/a b', 'oauth2_refresh_url must not contain spaces'],
  ])('checks the type of %s', (field, value, message) => {
    expect(validateDefinition(minimal({ [field]: value }), BASE)).toEqual([{ path: `${BASE}/${field}`, message }]);
  });

  it('names the exact template entry that uses an unknown variable', () => {
    const def = seedSample();
    (def['oauth2_refresh_data'] as string[])[3] = '{"resource":"{resourse}"}';
    const errors = validateDefinition(def, BASE);
    expect(errors).toEqual([{ path: `${BASE}/oauth2_refresh_data/3`, message: expect.stringMatching(/^unknown template variable \{resourse\} \(did you mean \{resource\}\?\)/) }]);
  });

  it('knows the run-time variables, oauth2_required ids, provider parameters and env keys', () => {
    const def = minimal({
      base_url: 'https://{host_name}/oauth',
      oauth2_auth_url: '/authorize',
      oauth2_required: [{ id: 'host_name', title: 'Host', pattern: '^[a-z.]+$' }],
      oauth2_token_data: ['{"code":"{code}"}', '{"v":"{code_verifier}"}', '{"id":"{CLIENT_ID}"}', '{"audience":"{audience}"}'],
      oauth2_validate_headers: ['{"Authorization":"Bearer {access_token}"}'],
      oauth2_revoke_url: 'https://as.example.com/revoke?token={token}',
      env_production_params: ['{"audience":"api://{{{production.CLIENT_ID}}}"}', '{"redirect_uri":"{OAUTH_ENDPOINT_OAUTH_RETURN}"}'],
    });
    expect(validateDefinition(def, BASE)).toEqual([]);
  });

  it('checks variables in URLs and base_url too', () => {
    expect(validateDefinition(minimal({ base_url: 'https://{org}.example.com', oauth2_auth_url: '/a' }), BASE)).toEqual([
      { path: `${BASE}/base_url`, message: expect.stringMatching(/^unknown template variable \{org\}/) },
    ]);
  });

  it('checks oauth2_required entries', () => {
    const errors = validateDefinition(
      minimal({
        oauth2_required: [
          { id: 'tenant', title: 'Tenant', default: 'evil.com/', pattern: '^[a-z]+$' },
          { id: 'tenant', title: 'Again' },
          { id: 'code', title: 'Reserved' },
          { id: 'site', title: 'Site', pattern: '[a-z]+' },
          { id: 'org', title: 'Org', provider_default: 'ORG' },
          { id: 'zone', title: '', optional: 'yes' },
        ],
      }),
      '',
    );
    expect(errors).toEqual([
      { path: '/oauth2_required/0/default', message: 'default "evil.com/" does not match the pattern' },
      { path: '/oauth2_required/1/id', message: 'id tenant is used twice' },
      { path: '/oauth2_required/2/id', message: 'id code is reserved for a run-time variable' },
      { path: '/oauth2_required/3/pattern', message: 'pattern must be anchored (start with ^ and end with $): the value ends up in a URL' },
      { path: '/oauth2_required/4/provider_default', message: 'provider_default ORG is not a provider parameter of this definition' },
      { path: '/oauth2_required/5/title', message: 'title must be a non-empty string' },
      { path: '/oauth2_required/5/optional', message: 'optional must be true or false' },
    ]);
  });

  it('checks provider_parameters', () => {
    const errors = validateDefinition(
      minimal({ provider_parameters: [{ name: 'CLIENT_ID', required: true }, { name: 'CLIENT_ID', required: true }, { name: 'bad name', required: 'yes', format: 'email' }] }),
      '',
    );
    expect(errors.map((e) => e.path)).toEqual(['/provider_parameters/1/name', '/provider_parameters/2/name', '/provider_parameters/2/required', '/provider_parameters/2/format']);
  });
});
