import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import OAuth from 'oauth-1.0a';
import { type OAuth1TestServer, parseOAuthHeader, startOAuth1TestServer } from './oauth1-test-server';

function post(url: string, authorization: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { Authorization: authorization, 'Content-Length': '0' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the OAuth 1.0a test server', () => {
  let server: OAuth1TestServer;
  let signer: OAuth;

  beforeAll(async () => {
    server = await startOAuth1TestServer({ consumerKey: 'ck', consumerSecret: 'cs' });
    signer = new OAuth({
      consumer: { key: 'ck', secret: 'cs' },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
  });
  afterAll(() => server.stop());

  function requestTokenHeader(mutate: (data: OAuth.Authorization & { oauth_callback: string }) => void = () => undefined): string {
    const data = signer.authorize({ url: server.requestTokenUrl, method: 'POST', data: { oauth_callback: 'https://app.example/return' } });
    const full = { ...data, oauth_callback: 'https://app.example/return' };
    mutate(full);
    return `OAuth ${Object.entries(full)
      .map(([k, v]) => `${signer.percentEncode(k)}="${signer.percentEncode(String(v))}"`)
      .join(', ')}`;
  }

  it('accepts a request signed by the oauth-1.0a library', async () => {
    const res = await post(server.requestTokenUrl, requestTokenHeader());
    expect(res.status).toBe(200);
    expect(new URLSearchParams(res.body).get('oauth_callback_confirmed')).toBe('true');
  });

  it('refuses a tampered signature, a changed parameter and a replayed nonce with 401', async () => {
    const before = server.rejectedSignatures;
    expect((await post(server.requestTokenUrl, requestTokenHeader((d) => (d.oauth_signature = 'AAAA' + d.oauth_signature.slice(4))))).status).toBe(401);
    expect((await post(server.requestTokenUrl, requestTokenHeader((d) => (d.oauth_callback = 'https://evil.example/return'))))).toMatchObject({
      status: 401,
      body: 'oauth_problem=signature_invalid',
    });
    const header = requestTokenHeader();
    expect((await post(server.requestTokenUrl, header)).status).toBe(200);
    expect(await post(server.requestTokenUrl, header)).toMatchObject({ status: 401, body: 'oauth_problem=nonce_used' });
    expect(server.rejectedSignatures).toBe(before + 3);
  });

  it('parses an Authorization: OAuth header into decoded parameters', () => {
    expect(parseOAuthHeader('OAuth realm="x", oauth_callback="https%3A%2F%2Fa.example%2Fr", oauth_nonce="n"')).toEqual({
      realm: 'x',
      oauth_callback: 'https://a.example/r',
      oauth_nonce: 'n',
    });
    expect(parseOAuthHeader('Bearer x')).toBeUndefined();
  });
});
