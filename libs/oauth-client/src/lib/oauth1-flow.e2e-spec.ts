import { type OAuth1TestServer, startOAuth1TestServer } from '@flow-oauth/testing';
import { RETURN_URL, builtInWith, loadedProvider } from '../test/provider-fixtures';
import { OAuthClient } from './oauth-client';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';

async function failure(promise: Promise<unknown>): Promise<OAuthProtocolError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof OAuthProtocolError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('OAuth 1.0a three-legged flow (trello) against a server that verifies signatures with oauth-1.0a', () => {
  let server: OAuth1TestServer;
  const client = new OAuthClient({ returnUrl: RETURN_URL, env: 'production' });

  beforeAll(async () => {
    server = await startOAuth1TestServer();
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  /** The built-in trello definition with its endpoints moved to the test server. */
  function trello(consumerSecret = server.consumerSecret): ProviderRecord {
    const loaded = loadedProvider('trello', { CONSUMER_KEY: server.consumerKey, CONSUMER_SECRET: consumerSecret });
    return {
      ...loaded,
      definition: builtInWith('trello', {
        oauth1_request_token_url: server.requestTokenUrl,
        oauth1_authorize_url: server.authorizeUrl,
        oauth1_access_token_url: server.accessTokenUrl,
        oauth1_revoke_url: `${server.tokensUrl}/{token}?key={consumer_key}&token={token}`,
        oauth2_validate_url: `${server.memberUrl}?fields=id,username`,
      }),
    };
  }

  async function authorize(provider: ProviderRecord): Promise<{ token: string; tokenSecret: string; metadata: Record<string, unknown> }> {
    const leg1 = await client.oauth1RequestToken(provider, { callbackUrl: RETURN_URL });
    const callback = new URL(await server.approve(leg1.authorizeUrl));
    expect(`${callback.origin}${callback.pathname}`).toBe(RETURN_URL);
    expect(callback.searchParams.get('oauth_token')).toBe(leg1.token);
    return client.oauth1AccessToken(provider, {
      token: leg1.token,
      tokenSecret: leg1.tokenSecret,
      verifier: callback.searchParams.get('oauth_verifier') ?? '',
    });
  }

  it('gets token credentials through request token, authorize and access token', async () => {
    const rejectedBefore = server.rejectedSignatures;
    const provider = trello();

    const credentials = await authorize(provider);

    expect(credentials.token).toMatch(/^[0-9a-f]{48}$/);
    expect(credentials.tokenSecret).toMatch(/^[0-9a-f]{48}$/);
    expect(credentials.metadata).toEqual({ member_id: 'test-member' });
    expect(server.isAccessTokenActive(credentials.token)).toBe(true);
    expect(server.rejectedSignatures).toBe(rejectedBefore);
    const query = server.authorizeQueries[server.authorizeQueries.length - 1];
    expect([query.get('scope'), query.get('expiration'), query.get('name')]).toEqual(['read,write', 'never', 'Flow OAuth']);
  });

  it('validates the token with a signed call to a protected resource', async () => {
    const provider = trello();
    const credentials = await authorize(provider);
    expect(await client.validate(provider, { accessToken: credentials.token, tokenSecret: credentials.tokenSecret, connectionParams: {} })).toMatchObject({
      ok: true,
      status: 200,
    });
    expect(await client.validate(provider, { accessToken: credentials.token, tokenSecret: 'wrong-secret', connectionParams: {} })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('revokes the token at the provider', async () => {
    const provider = trello();
    const credentials = await authorize(provider);
    expect(await client.revoke(provider, { accessToken: credentials.token, connectionParams: {} })).toEqual({ revoked: true, detail: 'token revoked' });
    expect(server.isAccessTokenActive(credentials.token)).toBe(false);
  });

  it('is refused with invalid_client when signed with the wrong consumer secret', async () => {
    const rejectedBefore = server.rejectedSignatures;
    const error = await failure(client.oauth1RequestToken(trello('not-the-consumer-secret'), { callbackUrl: RETURN_URL }));
    expect(error).toMatchObject({ kind: 'invalid_client', status: 401, providerError: 'signature_invalid' });
    expect(error.message).not.toContain('not-the-consumer-secret');
    expect(server.rejectedSignatures).toBe(rejectedBefore + 1);
  });

  it('is refused with invalid_grant for a wrong verifier, and the request token cannot be replayed', async () => {
    const provider = trello();
    const leg1 = await client.oauth1RequestToken(provider, { callbackUrl: RETURN_URL });
    const verifier = new URL(await server.approve(leg1.authorizeUrl)).searchParams.get('oauth_verifier') ?? '';
    const wrong = await failure(client.oauth1AccessToken(provider, { token: leg1.token, tokenSecret: leg1.tokenSecret, verifier: 'wrong-verifier' }));
    expect(wrong).toMatchObject({ kind: 'invalid_grant', providerError: 'verifier_invalid' });
    await client.oauth1AccessToken(provider, { token: leg1.token, tokenSecret: leg1.tokenSecret, verifier });
    const replay = await failure(client.oauth1AccessToken(provider, { token: leg1.token, tokenSecret: leg1.tokenSecret, verifier }));
    expect(replay.kind).toBe('invalid_grant');
  });

  it('refuses a server that does not confirm the callback (not OAuth 1.0a)', async () => {
    const legacy = await startOAuth1TestServer({ callbackConfirmed: false });
    try {
      const loaded = loadedProvider('trello', { CONSUMER_KEY: legacy.consumerKey, CONSUMER_SECRET: legacy.consumerSecret });
      const provider = { ...loaded, definition: builtInWith('trello', { oauth1_request_token_url: legacy.requestTokenUrl }) };
      expect(await failure(client.oauth1RequestToken(provider, { callbackUrl: RETURN_URL }))).toMatchObject({ kind: 'rejected' });
    } finally {
      await legacy.stop();
    }
  });
});
