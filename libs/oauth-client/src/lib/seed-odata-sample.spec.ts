import { createHash } from 'node:crypto';
import { type RecordingHttpServer, startRecordingServer } from '@flow-oauth/testing';
import { RETURN_URL, SEED_ODATA_SAMPLE, loadedProvider } from '../test/provider-fixtures';
import { validateConnectionParams } from './connection-params';
import { OAuthClient } from './oauth-client';
import type { ProviderRecord } from './provider-record';

const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const CLIENT_SECRET = 'seed~client.secret_value-1';
const RESOURCE = 'https://example.crm5.dynamics.com';

function seedProvider(overrides: Record<string, unknown> = {}): ProviderRecord {
  return loadedProvider('odata', { CLIENT_ID, CLIENT_SECRET, ...SEED_ODATA_SAMPLE, ...overrides }, 'Dynamics 365');
}

describe('the seed odata sample definition (Dynamics 365 style)', () => {
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production' });
  let server: RecordingHttpServer;

  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('needs the resource and defaults the tenant to common', () => {
    const provider = seedProvider();
    expect(validateConnectionParams(provider, {}).errors).toEqual([{ param: 'resource', message: 'Resource URL is required' }]);
    expect(validateConnectionParams(provider, { resource: RESOURCE })).toEqual({ values: { tenant: 'common', resource: RESOURCE }, errors: [] });
  });

  it('builds exactly the authorize URL its templates describe, plus state and the PKCE challenge', () => {
    const provider = seedProvider();
    const { values } = validateConnectionParams(provider, { resource: RESOURCE, tenant: 'contoso.onmicrosoft.com' });
    const result = client.buildAuthorizationUrl(provider, { state: 'state-123', connectionParams: values });

    expect(result.scope).toBe('user_impersonation');
    expect(result.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const challenge = createHash('sha256').update(result.codeVerifier as string).digest('base64url');
    const expected =
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize' +
      `?client_id=${CLIENT_ID}` +
      '&response_type=code' +
      `&resource=${encodeURIComponent(RESOURCE)}` +
      '&scope=user_impersonation' +
      '&prompt=login' +
      `&redirect_uri=${encodeURIComponent(RETURN_URL)}` +
      '&state=state-123' +
      `&code_challenge=${challenge}` +
      '&code_challenge_method=S256';
    expect(result.url).toBe(expected);
  });

  it('sends exactly the token request body its oauth2_token_data describes, plus code and code_verifier', async () => {
    server.respond(() => ({ body: { access_token: 'at-1', token_type: 'Bearer', expires_in: '3599', refresh_token: 'rt-1', resource: RESOURCE } }));
    // Same templates; only the host of base_url is moved to the local recording server.
    const provider = seedProvider({ base_url: `${server.url}/{tenant}/oauth2` });
    const { values } = validateConnectionParams(provider, { resource: RESOURCE });

    const tokens = await client.exchangeCode(provider, { code: 'the-code', codeVerifier: 'the-verifier', connectionParams: values });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/common/oauth2/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers['accept']).toBe('application/json');
    expect(request.headers['authorization']).toBeUndefined();
    expect(request.body).toBe(
      new URLSearchParams([
        ['redirect_uri', RETURN_URL],
        ['client_id', CLIENT_ID],
        ['client_secret', CLIENT_SECRET],
        ['resource', RESOURCE],
        ['grant_type', 'authorization_code'],
        ['code', 'the-code'],
        ['code_verifier', 'the-verifier'],
      ]).toString(),
    );
    expect(tokens.accessToken).toBe('at-1');
    expect(tokens.refreshToken).toBe('rt-1');
    expect(tokens.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 3590_000);
  });

  it('sends exactly the refresh body its oauth2_refresh_data describes to oauth2_refresh_url', async () => {
    server.respond(() => ({ body: { access_token: 'at-2', token_type: 'Bearer', expires_in: 3600 } }));
    const provider = seedProvider({ base_url: `${server.url}/{tenant}/oauth2` });
    const { values } = validateConnectionParams(provider, { resource: RESOURCE, tenant: 'contoso.onmicrosoft.com' });

    const tokens = await client.refresh(provider, { refreshToken: 'rt-1', connectionParams: values });

    const [request] = server.requests;
    expect(request.url).toBe('/contoso.onmicrosoft.com/oauth2/token');
    expect(request.body).toBe(
      new URLSearchParams([
        ['client_secret', CLIENT_SECRET],
        ['grant_type', 'refresh_token'],
        ['client_id', CLIENT_ID],
        ['resource', RESOURCE],
        ['refresh_token', 'rt-1'],
      ]).toString(),
    );
    expect(tokens.refreshToken).toBeUndefined();
  });

  it('takes client_id and redirect_uri from the env_<FLOW_ENV>_params of the running environment', () => {
    const provider = seedProvider({
      env_staging_params: ['{"redirect_uri":"https://staging.example.com/return"}', '{"client_id":"staging-{{{staging.CLIENT_ID}}}"}'],
    });
    const { values } = validateConnectionParams(provider, { resource: RESOURCE });
    const staging = new OAuthClient({ returnUrl: RETURN_URL, env: 'staging' });
    const url = new URL(staging.buildAuthorizationUrl(provider, { state: 's', connectionParams: values }).url);
    expect(url.searchParams.get('client_id')).toBe(`staging-${CLIENT_ID}`);
    expect(url.searchParams.get('redirect_uri')).toBe('https://staging.example.com/return');
    staging.close();
  });

  it('refuses a tenant that would move the request to another host or path', () => {
    const provider = seedProvider();
    for (const tenant of ['evil.com/', 'evil.com#', 'evil.com?x=', 'user@evil.com', '..', 'a\\b', 'a b']) {
      const { errors } = validateConnectionParams(provider, { resource: RESOURCE, tenant });
      expect(errors.map((e) => e.param)).toEqual(['tenant']);
    }
    expect(() => client.buildAuthorizationUrl(provider, { state: 's', connectionParams: { tenant: 'evil.com/', resource: RESOURCE } })).toThrow(
      expect.objectContaining({ kind: 'config' }),
    );
  });
});
