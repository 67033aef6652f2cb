import { type RecordingHttpServer, startRecordingServer } from '@flow-oauth/testing';
import { RETURN_URL, builtInWith, customProvider, loadedProvider } from '../test/provider-fixtures';
import { OAuthClient } from './oauth-client';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';

const SECRET = 'test-client-secret-value';

async function failure(promise: Promise<unknown>): Promise<OAuthProtocolError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof OAuthProtocolError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

function basicCredentials(header: string | undefined): string {
  return Buffer.from((header ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
}

describe('OAuthClient against a recording server', () => {
  let server: RecordingHttpServer;
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production', timeoutMs: 500, maxResponseBytes: 64 * 1024 });

  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.respond(() => ({ body: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt' } }));
  });

  function generic(overrides: Record<string, unknown> = {}): ProviderRecord {
    return customProvider({ base_url: server.url, oauth2_auth_url: '/authorize', oauth2_token_url: '/token', ...overrides });
  }

  describe('authorize URL', () => {
    it('uses the standard query when the definition has none, with state and PKCE S256', () => {
      const provider = generic({ oauth2_params_scope: ['{"read":"Read"}', '{"write":"Write"}'] });
      const url = new URL(client.buildAuthorizationUrl(provider, { state: 'st', connectionParams: {} }).url);
      expect([...url.searchParams.keys()]).toEqual(['client_id', 'response_type', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']);
      expect(url.searchParams.get('scope')).toBe('read write');
    });

    it('leaves state out with oauth2_no_state and PKCE out with oauth2_pkce false', () => {
      const url = new URL(client.buildAuthorizationUrl(generic({ oauth2_no_state: true, oauth2_pkce: false }), { state: 'st', connectionParams: {} }).url);
      expect(url.searchParams.has('state')).toBe(false);
      expect(url.searchParams.has('code_challenge')).toBe(false);
    });

    it("sends the verifier itself with oauth2_pkce 'plain'", () => {
      const result = client.buildAuthorizationUrl(generic({ oauth2_pkce: 'plain' }), { state: 'st', connectionParams: {} });
      const url = new URL(result.url);
      expect(url.searchParams.get('code_challenge')).toBe(result.codeVerifier);
      expect(url.searchParams.get('code_challenge_method')).toBe('plain');
    });

    it('adds oauth2_include values that the query template does not already set', () => {
      const provider = generic({
        oauth2_auth_query: ['{"client_id":"{client_id}"}', '{"audience":"api"}'],
        oauth2_include: ['{"audience":"other"}', '{"resource":"{resource}"}'],
        oauth2_required: [{ id: 'resource', title: 'Resource' }],
      });
      const url = new URL(client.buildAuthorizationUrl(provider, { state: 'st', connectionParams: { resource: 'https://api.example.com' } }).url);
      expect(url.searchParams.getAll('audience')).toEqual(['api']);
      expect(url.searchParams.get('resource')).toBe('https://api.example.com');
    });

    it('names the missing variable (never a value) when a URL cannot be rendered', () => {
      const provider = generic({ base_url: 'https://{tenant}.example.com' });
      expect(() => client.buildAuthorizationUrl(provider, { state: 'st', connectionParams: {} })).toThrow('{tenant}');
    });

    it('refuses an OAuth 1.0a provider', () => {
      const trello = loadedProvider('trello', { CONSUMER_KEY: 'k', CONSUMER_SECRET: 's' });
      expect(() => client.buildAuthorizationUrl(trello, { state: 'st', connectionParams: {} })).toThrow(expect.objectContaining({ kind: 'config' }));
    });
  });

  describe('code exchange and refresh', () => {
    it('posts the standard body with client_secret_post when the definition has no token template', async () => {
      await client.exchangeCode(generic(), { code: 'c0de', codeVerifier: 'v3rifier', connectionParams: {} });
      const [request] = server.requests;
      expect(request.url).toBe('/token');
      expect([...request.form]).toEqual([
        ['grant_type', 'authorization_code'],
        ['code', 'c0de'],
        ['redirect_uri', RETURN_URL],
        ['client_id', 'test-client'],
        ['client_secret', SECRET],
        ['code_verifier', 'v3rifier'],
      ]);
    });

    it('authenticates with client_secret_basic: Authorization header, and no client_secret in the body', async () => {
      const provider = loadedProvider('odata', {
        CLIENT_ID: 'id with:colon',
        CLIENT_SECRET: 'p@ss word+/=',
        AUTH_URL: `${server.url}/authorize`,
        TOKEN_URL: `${server.url}/token`,
        oauth2_client_auth: 'client_secret_basic',
      });
      await client.exchangeCode(provider, { code: 'c0de', connectionParams: {} });
      await client.refresh(provider, { refreshToken: 'rt-old', connectionParams: {} });
      for (const request of server.requests) {
        expect(basicCredentials(request.headers['authorization'])).toBe('id+with%3Acolon:p%40ss+word%2B%2F%3D');
        expect(request.form.has('client_secret')).toBe(false);
        expect(request.body).not.toContain('p%40ss');
      }
      expect(server.requests[1].form.get('grant_type')).toBe('refresh_token');
      expect(server.requests[1].form.get('refresh_token')).toBe('rt-old');
    });

    it('always asks for JSON and adds the definition token headers', async () => {
      const github = loadedProvider('github', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
      const provider = { ...github, definition: builtInWith('github', { oauth2_token_url: `${server.url}/login/oauth/access_token` }) };
      server.respond(() => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'access_token=gho_1&scope=repo&token_type=bearer' }));
      const tokens = await client.exchangeCode(provider, { code: 'c', codeVerifier: 'v', connectionParams: {} });
      expect(server.requests[0].headers['accept']).toBe('application/json');
      expect(tokens).toMatchObject({ accessToken: 'gho_1', tokenType: 'Bearer', expiresAt: null });
    });

    it('sends Zendesk the subdomain URL and expires_in on token and refresh requests', async () => {
      const zendesk = loadedProvider('zendesk', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
      const provider = { ...zendesk, definition: builtInWith('zendesk', { base_url: `${server.url}/{subdomain}` }) };
      await client.exchangeCode(provider, { code: 'c', codeVerifier: 'v', connectionParams: { subdomain: 'acme' } });
      await client.refresh(provider, { refreshToken: 'r', connectionParams: { subdomain: 'acme' } });
      expect(server.requests.map((r) => [r.url, r.form.get('expires_in'), r.form.get('grant_type')])).toEqual([
        ['/acme/oauth/tokens', '1800', 'authorization_code'],
        ['/acme/oauth/tokens', '1800', 'refresh_token'],
      ]);
      expect(server.requests[0].form.get('scope')).toBe('read write');
    });

    it('refreshes at oauth2_refresh_url and adds the scope the caller gives to the standard body', async () => {
      const provider = generic({ oauth2_refresh_url: '/refresh' });
      await client.refresh(provider, { refreshToken: 'rt-1', connectionParams: {}, scope: 'read' });
      expect(server.requests[0].url).toBe('/refresh');
      expect(server.requests[0].form.get('scope')).toBe('read');
    });

    it('sends Microsoft the scope it requested on the refresh (its template names {scope})', async () => {
      const azure = loadedProvider('azure', { CLIENT_ID: 'c', CLIENT_SECRET: 's' });
      const provider = { ...azure, definition: builtInWith('azure', { base_url: `${server.url}/{tenant}/oauth2/v2.0` }) };
      await client.refresh(provider, { refreshToken: 'r', connectionParams: { tenant: 'common' }, scope: 'offline_access User.Read' });
      expect(server.requests[0].url).toBe('/common/oauth2/v2.0/token');
      expect(server.requests[0].form.get('scope')).toBe('offline_access User.Read');
    });

    it('classifies invalid_grant, invalid_client, 5xx and 429 with Retry-After', async () => {
      const provider = generic();
      const cases: Array<[() => { status: number; body: unknown; headers?: Record<string, string> }, Partial<OAuthProtocolError>]> = [
        [() => ({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } }), { kind: 'invalid_grant', status: 400 }],
        [() => ({ status: 401, body: { error: 'invalid_client' } }), { kind: 'invalid_client', status: 401 }],
        [() => ({ status: 400, body: { error: 'unauthorized_client' } }), { kind: 'invalid_client' }],
        [() => ({ status: 503, body: 'maintenance' }), { kind: 'transient', status: 503 }],
        [() => ({ status: 429, body: { error: 'slow down' }, headers: { 'Retry-After': '7' } }), { kind: 'transient', status: 429, retryAfterSeconds: 7 }],
        [() => ({ status: 403, body: { error: 'access_denied' } }), { kind: 'rejected', status: 403, providerError: 'access_denied' }],
      ];
      for (const [answer, expected] of cases) {
        server.respond(answer);
        const error = await failure(client.refresh(provider, { refreshToken: 'rt-secret-value', connectionParams: {} }));
        expect(error).toMatchObject(expected);
        expect(error.message).not.toContain('rt-secret-value');
        expect(error.message).not.toContain(SECRET);
      }
    });

    it('reports a hang-up and a timeout as transient, naming only the origin', async () => {
      const provider = generic();
      server.respond(() => ({ hangUp: true }));
      const hangUp = await failure(client.exchangeCode(provider, { code: 'c', connectionParams: {} }));
      expect(hangUp.kind).toBe('transient');
      server.respond(() => ({ delayMs: 2000, body: {} }));
      const timeout = await failure(client.exchangeCode(provider, { code: 'c', connectionParams: {} }));
      expect(timeout).toMatchObject({ kind: 'transient' });
      expect(timeout.message).toContain('did not answer within 500 ms');
      expect(timeout.message).not.toContain('/token');
    });

    it('reports an unreachable provider as transient', async () => {
      const provider = customProvider({ oauth2_auth_url: 'http://127.0.0.1:9/a', oauth2_token_url: 'http://127.0.0.1:1/token' });
      expect((await failure(client.exchangeCode(provider, { code: 'c', connectionParams: {} }))).kind).toBe('transient');
    });

    it('does not follow redirects and caps the answer size', async () => {
      const provider = generic();
      server.respond(() => ({ status: 302, headers: { Location: 'https://elsewhere.example.com/token' }, body: '' }));
      expect(await failure(client.exchangeCode(provider, { code: 'c', connectionParams: {} }))).toMatchObject({ kind: 'rejected', status: 302 });
      expect(server.requests).toHaveLength(1);
      server.respond(() => ({ body: { access_token: 'x'.repeat(100 * 1024) } }));
      expect((await failure(client.exchangeCode(provider, { code: 'c', connectionParams: {} }))).message).toContain('more than 65536 bytes');
    });

    it('keeps secrets out of the enumerable fields of its errors', async () => {
      server.respond(() => ({ status: 400, body: { error: 'invalid_grant', error_description: `bad code c0de-secret for ${SECRET}` } }));
      const error = await failure(client.exchangeCode(generic(), { code: 'c0de-secret', codeVerifier: 'verifier-secret', connectionParams: {} }));
      const everything = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
      for (const secret of ['c0de-secret', 'verifier-secret', SECRET]) expect(everything).not.toContain(secret);
      expect(Object.keys(error).sort()).toEqual(['kind', 'name', 'providerError', 'status']);
    });
  });

  describe('revoke', () => {
    beforeEach(() => server.respond(() => ({ status: 200, body: '' })));

    it('says so when the provider has no revocation endpoint', async () => {
      expect(await client.revoke(generic(), { accessToken: 'a', refreshToken: 'r', connectionParams: {} })).toEqual({
        revoked: false,
        detail: 'provider has no revocation endpoint',
      });
    });

    it('post_form (RFC 7009): the refresh token first, then the access token, without client credentials', async () => {
      const result = await client.revoke(generic({ oauth2_revoke_url: '/revoke' }), { accessToken: 'at-1', refreshToken: 'rt-1', connectionParams: {} });
      expect(result).toEqual({ revoked: true, detail: 'refresh token revoked; access token revoked' });
      expect(server.requests.map((r) => [r.method, r.url, [...r.form]])).toEqual([
        ['POST', '/revoke', [['token', 'rt-1'], ['token_type_hint', 'refresh_token']]],
        ['POST', '/revoke', [['token', 'at-1'], ['token_type_hint', 'access_token']]],
      ]);
      expect(server.requests[0].headers['authorization']).toBeUndefined();
    });

    it('post_form_client_auth: with client_secret_post in the body, or Basic per oauth2_client_auth', async () => {
      await client.revoke(generic({ oauth2_revoke_url: '/revoke', oauth2_revoke_method: 'post_form_client_auth' }), { refreshToken: 'rt-1', connectionParams: {} });
      expect(server.requests[0].form.get('client_secret')).toBe(SECRET);
      await client.revoke(generic({ oauth2_revoke_url: '/revoke', oauth2_revoke_method: 'post_form_client_auth', oauth2_client_auth: 'client_secret_basic' }), {
        refreshToken: 'rt-1',
        connectionParams: {},
      });
      expect(server.requests[1].form.has('client_secret')).toBe(false);
      expect(basicCredentials(server.requests[1].headers['authorization'])).toBe(`test-client:${SECRET}`);
    });

    it.each(['odata', 'soap', 'swagger'] as const)('a generic %s provider (REVOKE_URL) authenticates with its client credentials at revocation, as at its token endpoint (Basic)', async (type) => {
      const provider = loadedProvider(type, {
        CLIENT_ID: 'generic-client',
        CLIENT_SECRET: SECRET,
        AUTH_URL: `${server.url}/authorize`,
        TOKEN_URL: `${server.url}/token`,
        REVOKE_URL: `${server.url}/revoke`,
      });
      expect(await client.revoke(provider, { accessToken: 'at-g', refreshToken: 'rt-g', connectionParams: {} })).toEqual({
        revoked: true,
        detail: 'refresh token revoked; access token revoked',
      });
      expect(server.requests.map((r) => [r.method, r.url, [...r.form], basicCredentials(r.headers['authorization'])])).toEqual([
        ['POST', '/revoke', [['token', 'rt-g'], ['token_type_hint', 'refresh_token']], `generic-client:${SECRET}`],
        ['POST', '/revoke', [['token', 'at-g'], ['token_type_hint', 'access_token']], `generic-client:${SECRET}`],
      ]);
    });

    it('a generic provider whose file says oauth2_client_auth client_secret_post revokes with the credentials in the body', async () => {
      const provider = loadedProvider('odata', {
        CLIENT_ID: 'generic-client',
        CLIENT_SECRET: SECRET,
        AUTH_URL: `${server.url}/authorize`,
        TOKEN_URL: `${server.url}/token`,
        REVOKE_URL: `${server.url}/revoke`,
        oauth2_client_auth: 'client_secret_post',
      });
      expect(await client.revoke(provider, { refreshToken: 'rt-g', connectionParams: {} })).toMatchObject({ revoked: true });
      expect([...server.requests[0].form]).toEqual([['token', 'rt-g'], ['token_type_hint', 'refresh_token'], ['client_id', 'generic-client'], ['client_secret', SECRET]]);
      expect(server.requests[0].headers['authorization']).toBeUndefined();
    });

    it('delete_bearer and post_bearer revoke the access token with itself', async () => {
      await client.revoke(generic({ oauth2_revoke_url: '/api/v2/oauth/tokens/current.json', oauth2_revoke_method: 'delete_bearer' }), {
        accessToken: 'at-1',
        refreshToken: 'rt-1',
        connectionParams: {},
      });
      await client.revoke(generic({ oauth2_revoke_url: '/2/auth/token/revoke', oauth2_revoke_method: 'post_bearer' }), { accessToken: 'at-2', connectionParams: {} });
      expect(server.requests.map((r) => [r.method, r.url, r.headers['authorization']])).toEqual([
        ['DELETE', '/api/v2/oauth/tokens/current.json', 'Bearer at-1'],
        ['POST', '/2/auth/token/revoke', 'Bearer at-2'],
      ]);
      expect(await client.revoke(generic({ oauth2_revoke_url: '/x', oauth2_revoke_method: 'post_bearer' }), { refreshToken: 'r', connectionParams: {} })).toMatchObject({
        revoked: false,
      });
    });

    it('delete_basic_json (GitHub): DELETE /applications/{client_id}/token with Basic auth and the token in a JSON body', async () => {
      const github = loadedProvider('github', { CLIENT_ID: 'Iv1.abc', CLIENT_SECRET: 'gh-secret' });
      const provider = { ...github, definition: builtInWith('github', { oauth2_revoke_url: `${server.url}/applications/{client_id}/token` }) };
      expect(await client.revoke(provider, { accessToken: 'gho_1', connectionParams: {} })).toMatchObject({ revoked: true });
      const [request] = server.requests;
      expect([request.method, request.url, JSON.parse(request.body)]).toEqual(['DELETE', '/applications/Iv1.abc/token', { access_token: 'gho_1' }]);
      expect(basicCredentials(request.headers['authorization'])).toBe('Iv1.abc:gh-secret');
    });

    it('reports a refusal without throwing and without the token', async () => {
      server.respond(() => ({ status: 400, body: { error: 'unsupported_token_type', error_description: 'cannot revoke at-secret' } }));
      const result = await client.revoke(generic({ oauth2_revoke_url: '/revoke' }), { accessToken: 'at-secret', connectionParams: {} });
      expect(result).toEqual({ revoked: false, detail: 'access token not revoked: provider answered 400 unsupported_token_type: cannot revoke [redacted]' });
    });

    it('revokes a trello token with DELETE /1/tokens/{token}', async () => {
      const trello = loadedProvider('trello', { CONSUMER_KEY: 'key-1', CONSUMER_SECRET: 'secret-1' });
      const provider = { ...trello, definition: builtInWith('trello', { oauth1_revoke_url: `${server.url}/1/tokens/{token}?key={consumer_key}&token={token}` }) };
      expect(await client.revoke(provider, { accessToken: 'tok-1', connectionParams: {} })).toEqual({ revoked: true, detail: 'token revoked' });
      expect([server.requests[0].method, server.requests[0].url]).toEqual(['DELETE', '/1/tokens/tok-1?key=key-1&token=tok-1']);
    });
  });

  describe('validate', () => {
    it('GETs the validation URL with the definition headers; 2xx is ok', async () => {
      server.respond(() => ({ body: { id: 1 } }));
      const provider = generic({
        oauth2_validate_url: '/me',
        oauth2_validate_headers: ['{"Authorization":"Bearer {access_token}"}', '{"Content-Type":"application/json"}'],
      });
      expect(await client.validate(provider, { accessToken: 'at-1', connectionParams: {} })).toMatchObject({ ok: true, status: 200 });
      expect([server.requests[0].method, server.requests[0].url, server.requests[0].headers['authorization']]).toEqual(['GET', '/me', 'Bearer at-1']);
    });

    it('uses VALIDATE_URL of a generic provider and Bearer by default', async () => {
      server.respond(() => ({ status: 401, body: { error: 'invalid_token' } }));
      const provider = customProvider({ oauth2_auth_url: `${server.url}/a` }, { VALIDATE_URL: `${server.url}/whoami` });
      expect(await client.validate(provider, { accessToken: 'at-1', connectionParams: {} })).toEqual({
        ok: false,
        status: 401,
        detail: 'provider answered 401 invalid_token',
      });
      expect(server.requests[0].headers['authorization']).toBe('Bearer at-1');
    });

    it('says so when there is nothing to validate against', async () => {
      expect(await client.validate(generic(), { accessToken: 'a', connectionParams: {} })).toEqual({ ok: false, detail: 'provider has no validation endpoint' });
    });
  });
});
