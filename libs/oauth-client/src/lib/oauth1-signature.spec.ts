import {
  baseStringUri,
  hmacSha1Signature,
  normalizeParameters,
  oauth1AuthorizationHeader,
  oauth1Parameters,
  percentEncode,
  signatureBaseString,
} from './oauth1-signature';

describe('OAuth 1.0a signing (RFC 5849)', () => {
  it('percent-encodes everything but unreserved characters, in upper-case hex (section 3.6)', () => {
    expect(percentEncode('abcXYZ019-._~')).toBe('abcXYZ019-._~');
    expect(percentEncode("!*'() +/=&%")).toBe('%21%2A%27%28%29%20%2B%2F%3D%26%25');
    expect(percentEncode('é☃')).toBe('%C3%A9%E2%98%83');
  });

  it('builds the base string URI with lower-case scheme and host and no default port (section 3.4.1.2)', () => {
    expect(baseStringUri('HTTP://EXAMPLE.COM:80/r%20v/X?id=123')).toBe('http://example.com/r%20v/X');
    expect(baseStringUri('https://www.example.net:8080/?q=1')).toBe('https://www.example.net:8080/');
    expect(baseStringUri('https://example.com:443/path')).toBe('https://example.com/path');
  });

  it('normalizes the parameters of the section 3.4.1.3.2 example', () => {
    const parameters: Array<[string, string]> = [
      ['b5', '=%3D'],
      ['a3', 'a'],
      ['c@', ''],
      ['a2', 'r b'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['c2', ''],
      ['a3', '2 q'],
    ];
    expect(normalizeParameters(parameters)).toBe(
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
    );
  });

  it('builds the signature base string of the section 3.4.1.1 example (query, header and form parameters)', () => {
    const base = signatureBaseString('post', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', [
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['c2', ''],
      ['a3', '2 q'],
    ]);
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('signs the OAuth Core 1.0 appendix A.5 photos request to its published signature', () => {
    const url = 'http://photos.example.net/photos?file=vacation.jpg&size=original';
    const protocol: Array<[string, string]> = [
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '1191242096'],
      ['oauth_nonce', 'kllo9940pd9333jh'],
      ['oauth_version', '1.0'],
    ];
    const base = signatureBaseString('GET', url, protocol);
    expect(base).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(hmacSha1Signature(base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00')).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');

    const signed = oauth1Parameters(
      { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44', token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' },
      { method: 'GET', url, nonce: 'kllo9940pd9333jh', timestamp: 1191242096 },
    );
    expect(signed['oauth_signature']).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
  });

  it('keys the signature with an empty token secret before there is a token (temporary credentials)', () => {
    const base = 'POST&https%3A%2F%2Fexample.com%2Finitiate&oauth_callback%3Doob';
    expect(hmacSha1Signature(base, 'secret')).toBe(hmacSha1Signature(base, 'secret', ''));
    expect(hmacSha1Signature(base, 'secret')).not.toBe(hmacSha1Signature(base, 'secret', 'token-secret'));
  });

  it('writes the Authorization header with every value percent-encoded and quoted (section 3.5.1)', () => {
    const header = oauth1AuthorizationHeader(
      { consumerKey: 'key with space', consumerSecret: 's' },
      { method: 'POST', url: 'https://example.com/request_token', extra: { oauth_callback: 'https://app.example/return?x=1' }, nonce: 'n', timestamp: 1 },
    );
    expect(header.startsWith('OAuth ')).toBe(true);
    expect(header).toContain('oauth_consumer_key="key%20with%20space"');
    expect(header).toContain('oauth_callback="https%3A%2F%2Fapp.example%2Freturn%3Fx%3D1"');
    expect(header).toContain('oauth_signature_method="HMAC-SHA1"');
    expect(header).toContain('oauth_version="1.0"');
    expect(header).toMatch(/oauth_signature="[A-Za-z0-9%]+"/);
  });
});
