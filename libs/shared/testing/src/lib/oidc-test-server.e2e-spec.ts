import { type OidcTestServer, startOidcTestServer } from './oidc-test-server';

// What the fault suites count on the test authorization server: every grant's outcome by account,
// a rotated refresh token refused on reuse, one user's access revoked without touching the others.

const REDIRECT = 'http://127.0.0.1:9/return';
const CLIENT = { clientId: 'grants-client', clientSecret: 'grants-secret-1234' };

async function tokenRequest(oidc: OidcTestServer, form: Record<string, string>): Promise<{ status: number; json: Record<string, string> }> {
  const response = await fetch(oidc.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, string> };
}

async function signIn(oidc: OidcTestServer, login: string): Promise<string> {
  const authorize = new URL(oidc.authorizationEndpoint);
  authorize.search = new URLSearchParams({ client_id: CLIENT.clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid offline_access', prompt: 'consent' }).toString();
  const back = new URL(await oidc.completeAuthorization(authorize.toString(), { login }));
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code: ${back.toString()}`);
  const tokens = await tokenRequest(oidc, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
  return tokens.json['refresh_token'];
}

describe('oidc test server: grant outcomes and revoked access', () => {
  let oidc: OidcTestServer;

  beforeAll(async () => {
    oidc = await startOidcTestServer({ clients: [{ ...CLIENT, redirectUris: [REDIRECT], rotateRefreshToken: true }] });
  });
  afterAll(async () => {
    await oidc?.stop();
  });

  it('records each grant with its account; a rotated refresh token used again is invalid_grant', async () => {
    const first = await signIn(oidc, 'alice');
    const rotated = await tokenRequest(oidc, { grant_type: 'refresh_token', refresh_token: first });
    expect(rotated.status).toBe(200);
    expect(rotated.json['refresh_token']).not.toBe(first);
    const reused = await tokenRequest(oidc, { grant_type: 'refresh_token', refresh_token: first });
    expect(reused.status).toBe(400);
    expect(reused.json['error']).toBe('invalid_grant');

    const alice = (await oidc.grants()).filter((g) => g.account === 'alice');
    expect(alice.map((g) => [g.grantType, g.outcome])).toEqual([
      ['authorization_code', 'ok'],
      ['refresh_token', 'ok'],
      ['refresh_token', 'invalid_grant'],
    ]);
    expect(alice.every((g) => g.clientId === CLIENT.clientId)).toBe(true);
  });

  it("revokeAccount withdraws one user's access: their next refresh is invalid_grant, another user's still works", async () => {
    const bob = await signIn(oidc, 'bob');
    const carol = await signIn(oidc, 'carol');
    expect(await oidc.revokeAccount('bob')).toBe(1);
    expect((await tokenRequest(oidc, { grant_type: 'refresh_token', refresh_token: bob })).json['error']).toBe('invalid_grant');
    expect((await tokenRequest(oidc, { grant_type: 'refresh_token', refresh_token: carol })).status).toBe(200);
    expect(await oidc.revokeAccount('nobody')).toBe(0);
  });

  it('forgets no live grant when it holds far more than oidc-provider\'s default store keeps (1,000 entries)', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 300; i++) tokens.push(await signIn(oidc, `many-${i}`));
    // Each sign-in stores about ten entries (session, interaction, code, grant, tokens, indexes);
    // with oidc-provider's own store about a third of these grants are forgotten.
    const refreshed = await Promise.all(tokens.map((refresh_token) => tokenRequest(oidc, { grant_type: 'refresh_token', refresh_token })));
    expect(refreshed.filter((r) => r.status !== 200).length).toBe(0);
  });
});
