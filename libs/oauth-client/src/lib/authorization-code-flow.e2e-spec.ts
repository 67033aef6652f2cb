import { randomBytes } from 'node:crypto';
import { type OidcTestClientOptions, type OidcTestServer, startOidcTestServer } from '@flow-oauth/testing';
import { RETURN_URL, SEED_ODATA_SAMPLE, loadedProvider } from '../test/provider-fixtures';
import { validateConnectionParams } from './connection-params';
import { OAuthClient } from './oauth-client';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord, TokenSet } from './provider-record';

type AuthMethod = 'client_secret_basic' | 'client_secret_post';

const CLIENTS: OidcTestClientOptions[] = (
  [
  { clientId: 'basic-pkce', tokenEndpointAuthMethod: 'client_secret_basic', pkceRequired: true },
  { clientId: 'basic-plain', tokenEndpointAuthMethod: 'client_secret_basic', pkceRequired: false },
  { clientId: 'post-pkce', tokenEndpointAuthMethod: 'client_secret_post', pkceRequired: true },
  { clientId: 'post-plain', tokenEndpointAuthMethod: 'client_secret_post', pkceRequired: false },
  { clientId: 'no-rotation', tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: false },
  ] as Array<Omit<OidcTestClientOptions, 'clientSecret' | 'redirectUris'>>
).map((c) => ({ ...c, clientSecret: `${c.clientId}-${randomBytes(12).toString('hex')}`, redirectUris: [RETURN_URL] }));

async function failure(promise: Promise<unknown>): Promise<OAuthProtocolError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof OAuthProtocolError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** A generic (odata) provider loaded the way an operator would, pointing at the test server. */
function providerFor(server: OidcTestServer, clientId: string, auth: AuthMethod, pkce: boolean): ProviderRecord {
  const registered = CLIENTS.find((c) => c.clientId === clientId);
  if (!registered) throw new Error(`no client ${clientId}`);
  return loadedProvider('odata', {
    CLIENT_ID: registered.clientId,
    CLIENT_SECRET: registered.clientSecret,
    AUTH_URL: server.authorizationEndpoint,
    TOKEN_URL: server.tokenEndpoint,
    VALIDATE_URL: server.userinfoEndpoint,
    SCOPES: 'openid offline_access',
    oauth2_revoke_url: server.revocationEndpoint,
    oauth2_revoke_method: 'post_form_client_auth',
    oauth2_client_auth: auth,
    oauth2_pkce: pkce ? 'S256' : false,
  });
}

describe('authorization-code flow against a real oidc-provider', () => {
  let server: OidcTestServer;
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production' });

  beforeAll(async () => {
    server = await startOidcTestServer({ clients: CLIENTS, accessTokenTtlSeconds: 600 });
  });
  afterAll(async () => {
    client.close();
    await server?.stop();
  });

  async function signIn(provider: ProviderRecord, login = 'alice'): Promise<TokenSet> {
    const state = randomBytes(32).toString('base64url');
    const authorization = client.buildAuthorizationUrl(provider, { state, connectionParams: {} });
    const redirect = new URL(await server.completeAuthorization(authorization.url, { login }));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(RETURN_URL);
    expect(redirect.searchParams.get('error')).toBeNull();
    expect(redirect.searchParams.get('state')).toBe(state);
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`no code in ${redirect.search}`);
    return client.exchangeCode(provider, { code, codeVerifier: authorization.codeVerifier, connectionParams: {}, scope: authorization.scope });
  }

  it.each([
    ['basic-pkce', 'client_secret_basic', true],
    ['basic-plain', 'client_secret_basic', false],
    ['post-pkce', 'client_secret_post', true],
    ['post-plain', 'client_secret_post', false],
  ] as Array<[string, AuthMethod, boolean]>)('completes the flow for %s (%s, PKCE %s) and the token passes userinfo', async (clientId, auth, pkce) => {
    const provider = providerFor(server, clientId, auth, pkce);
    const before = Date.now();

    const tokens = await signIn(provider);

    expect(tokens.accessToken).toMatch(/\S{20,}/);
    expect(tokens.refreshToken).toMatch(/\S{20,}/);
    expect(tokens.tokenType).toBe('Bearer');
    // oidc-provider reports the access token's scope; offline_access shows as the refresh token itself.
    expect(tokens.scope?.split(' ')).toContain('openid');
    expect(tokens.expiresAt?.getTime()).toBeGreaterThanOrEqual(before + 590_000);
    expect(tokens.expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 601_000);

    const exchange = (await server.tokenRequests()).filter((r) => r.endpoint === 'token' && r.clientId === clientId).pop();
    expect(exchange).toMatchObject({ clientAuth: auth, grantType: 'authorization_code', accept: 'application/json' });
    expect(exchange?.params.includes('code_verifier')).toBe(pkce);
    expect(exchange?.params.includes('client_secret')).toBe(auth === 'client_secret_post');

    expect(await client.validate(provider, { accessToken: tokens.accessToken, connectionParams: {} })).toMatchObject({ ok: true, status: 200 });
  });

  it('is refused by a server that requires PKCE when the definition disables it', async () => {
    const provider = providerFor(server, 'basic-pkce', 'client_secret_basic', false);
    const { url } = client.buildAuthorizationUrl(provider, { state: 'state-1', connectionParams: {} });
    const redirect = new URL(await server.completeAuthorization(url));
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.get('state')).toBe('state-1');
  });

  it('returns error=access_denied to the return URL when the user cancels', async () => {
    const provider = providerFor(server, 'post-plain', 'client_secret_post', false);
    const { url } = client.buildAuthorizationUrl(provider, { state: 'state-2', connectionParams: {} });
    const redirect = new URL(await server.completeAuthorization(url, { deny: true }));
    expect(redirect.searchParams.get('error')).toBe('access_denied');
  });

  it('reports a replayed code as invalid_grant', async () => {
    const provider = providerFor(server, 'post-plain', 'client_secret_post', false);
    const { url } = client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {} });
    const code = new URL(await server.completeAuthorization(url)).searchParams.get('code') ?? '';
    await client.exchangeCode(provider, { code, connectionParams: {} });
    const error = await failure(client.exchangeCode(provider, { code, connectionParams: {} }));
    expect(error).toMatchObject({ kind: 'invalid_grant', status: 400, providerError: 'invalid_grant' });
    expect(error.message).not.toContain(code);
  });

  it('reports a wrong client secret as invalid_client, without the secret in the message', async () => {
    const good = providerFor(server, 'basic-plain', 'client_secret_basic', false);
    const provider: ProviderRecord = { ...good, secrets: { CLIENT_SECRET: 'not-the-right-secret' } };
    const { url } = client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {} });
    const code = new URL(await server.completeAuthorization(url)).searchParams.get('code') ?? '';
    const error = await failure(client.exchangeCode(provider, { code, connectionParams: {} }));
    expect(error).toMatchObject({ kind: 'invalid_client', status: 401 });
    expect(error.message).not.toContain('not-the-right-secret');
  });

  it('is refused when the definition authenticates another way than the client is registered for', async () => {
    const provider = providerFor(server, 'basic-plain', 'client_secret_post', false);
    const { url } = client.buildAuthorizationUrl(provider, { state: 's', connectionParams: {} });
    const code = new URL(await server.completeAuthorization(url)).searchParams.get('code') ?? '';
    const error = await failure(client.exchangeCode(provider, { code, connectionParams: {} }));
    expect(error).toMatchObject({ kind: 'invalid_client', status: 401 });
    expect(error.message).toContain('must authenticate with client_secret_basic');
  });

  it('refreshes with rotation: a new refresh token, and the old one is then invalid_grant', async () => {
    const provider = providerFor(server, 'basic-pkce', 'client_secret_basic', true);
    const first = await signIn(provider);

    const second = await client.refresh(provider, { refreshToken: first.refreshToken ?? '', connectionParams: {} });

    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBeDefined();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(await client.validate(provider, { accessToken: second.accessToken, connectionParams: {} })).toMatchObject({ ok: true });
    const refresh = (await server.tokenRequests()).filter((r) => r.grantType === 'refresh_token').pop();
    expect(refresh).toMatchObject({ clientAuth: 'client_secret_basic' });
    expect(refresh?.params).not.toContain('client_secret');

    const reuse = await failure(client.refresh(provider, { refreshToken: first.refreshToken ?? '', connectionParams: {} }));
    expect(reuse).toMatchObject({ kind: 'invalid_grant', providerError: 'invalid_grant' });
  });

  it('refreshes without rotation: the same refresh token keeps working', async () => {
    const provider = providerFor(server, 'no-rotation', 'client_secret_post', true);
    const first = await signIn(provider);
    const second = await client.refresh(provider, { refreshToken: first.refreshToken ?? '', connectionParams: {} });
    const third = await client.refresh(provider, { refreshToken: first.refreshToken ?? '', connectionParams: {} });
    expect(second.refreshToken === undefined || second.refreshToken === first.refreshToken).toBe(true);
    expect(third.accessToken).not.toBe(second.accessToken);
  });

  it('revokes the refresh and access tokens: introspection then shows them inactive and userinfo refuses', async () => {
    const provider = providerFor(server, 'post-pkce', 'client_secret_post', true);
    const tokens = await signIn(provider);
    const as = { clientId: 'post-pkce', clientSecret: CLIENTS[2].clientSecret };
    expect((await server.introspect(tokens.accessToken, as)).active).toBe(true);
    expect((await server.introspect(tokens.refreshToken ?? '', as)).active).toBe(true);

    const result = await client.revoke(provider, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, connectionParams: {} });

    expect(result).toEqual({ revoked: true, detail: 'refresh token revoked; access token revoked' });
    expect((await server.introspect(tokens.accessToken, as)).active).toBe(false);
    expect((await server.introspect(tokens.refreshToken ?? '', as)).active).toBe(false);
    expect(await client.validate(provider, { accessToken: tokens.accessToken, connectionParams: {} })).toMatchObject({ ok: false, status: 401 });
    const revocations = (await server.tokenRequests()).filter((r) => r.endpoint === 'revocation');
    expect(revocations.slice(-2).map((r) => r.clientAuth)).toEqual(['client_secret_post', 'client_secret_post']);
  });

  it('revokes with client_secret_basic for a Basic client', async () => {
    const provider = providerFor(server, 'basic-plain', 'client_secret_basic', false);
    const tokens = await signIn(provider);
    expect(await client.revoke(provider, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, connectionParams: {} })).toMatchObject({ revoked: true });
    expect((await server.introspect(tokens.accessToken, { clientId: 'basic-plain', clientSecret: CLIENTS[1].clientSecret })).active).toBe(false);
  });
});

describe('short-lived access tokens against a real oidc-provider', () => {
  let server: OidcTestServer;
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production' });
  // A simple-form generic provider authenticates with HTTP Basic (RFC 6749 section 2.3.1), so the client is registered so.
  const registered: OidcTestClientOptions = { clientId: 'short', clientSecret: 'short-secret-value', redirectUris: [RETURN_URL], tokenEndpointAuthMethod: 'client_secret_basic' };

  beforeAll(async () => {
    server = await startOidcTestServer({ clients: [registered], accessTokenTtlSeconds: 2 });
  });
  afterAll(async () => {
    client.close();
    await server?.stop();
  });

  it('expires the access token on time, and a refresh brings a working one', async () => {
    const provider = loadedProvider('odata', {
      CLIENT_ID: 'short',
      CLIENT_SECRET: 'short-secret-value',
      AUTH_URL: server.authorizationEndpoint,
      TOKEN_URL: server.tokenEndpoint,
      VALIDATE_URL: server.userinfoEndpoint,
      SCOPES: 'openid offline_access',
    });
    const authorization = client.buildAuthorizationUrl(provider, { state: 'st', connectionParams: {} });
    const code = new URL(await server.completeAuthorization(authorization.url)).searchParams.get('code') ?? '';
    const tokens = await client.exchangeCode(provider, { code, codeVerifier: authorization.codeVerifier, connectionParams: {} });
    expect((tokens.expiresAt?.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(2000);

    await new Promise((resolve) => setTimeout(resolve, 2600));
    expect(await client.validate(provider, { accessToken: tokens.accessToken, connectionParams: {} })).toMatchObject({ ok: false, status: 401 });

    const refreshed = await client.refresh(provider, { refreshToken: tokens.refreshToken ?? '', connectionParams: {} });
    expect(await client.validate(provider, { accessToken: refreshed.accessToken, connectionParams: {} })).toMatchObject({ ok: true });
  });
});

describe('the seed odata sample, verbatim, against a real oidc-provider', () => {
  let server: OidcTestServer;
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production' });
  const registered: OidcTestClientOptions = {
    clientId: 'dynamics-app',
    clientSecret: 'dynamics-secret-value',
    redirectUris: [RETURN_URL],
    tokenEndpointAuthMethod: 'client_secret_post',
  };

  beforeAll(async () => {
    server = await startOidcTestServer({
      clients: [registered],
      extraScopes: ['user_impersonation'],
      routes: { authorization: '/common/oauth2/authorize', token: '/common/oauth2/token' },
    });
  });
  afterAll(async () => {
    client.close();
    await server?.stop();
  });

  it('signs in with prompt=login, exchanges the code with its token data and refreshes with its refresh data', async () => {
    const provider = loadedProvider('odata', {
      CLIENT_ID: registered.clientId,
      CLIENT_SECRET: registered.clientSecret,
      ...SEED_ODATA_SAMPLE,
      base_url: `${server.issuer}/{tenant}/oauth2`,
    });
    const { values, errors } = validateConnectionParams(provider, { resource: 'https://example.crm5.dynamics.com' });
    expect(errors).toEqual([]);

    const authorization = client.buildAuthorizationUrl(provider, { state: 'seed-state', connectionParams: values });
    expect(new URL(authorization.url).pathname).toBe('/common/oauth2/authorize');
    const redirect = new URL(await server.completeAuthorization(authorization.url, { login: 'bob' }));
    expect(redirect.searchParams.get('state')).toBe('seed-state');

    const tokens = await client.exchangeCode(provider, {
      code: redirect.searchParams.get('code') ?? '',
      codeVerifier: authorization.codeVerifier,
      connectionParams: values,
    });
    expect(tokens.refreshToken).toBeDefined();
    const refreshed = await client.refresh(provider, { refreshToken: tokens.refreshToken ?? '', connectionParams: values });
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);

    const requests = (await server.tokenRequests()).filter((r) => r.endpoint === 'token');
    expect(requests.map((r) => [r.path, r.clientAuth, r.params])).toEqual([
      ['/common/oauth2/token', 'client_secret_post', ['redirect_uri', 'client_id', 'client_secret', 'resource', 'grant_type', 'code', 'code_verifier']],
      ['/common/oauth2/token', 'client_secret_post', ['client_secret', 'grant_type', 'client_id', 'resource', 'refresh_token']],
    ]);
  });
});
