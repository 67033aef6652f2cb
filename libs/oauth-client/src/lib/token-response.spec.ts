import { getDefinition } from '@flow-oauth/connector-definitions';
import type { HttpResponse } from './http-transport';
import { OAuthProtocolError, parseRetryAfter, redact } from './oauth-protocol-error';
import { MAX_EXPIRES_IN_SECONDS, parseTokenResponse } from './token-response';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const generic = getDefinition('odata');

function json(body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

function parse(response: HttpResponse, definition = generic) {
  return parseTokenResponse(definition, response, 'refresh', ['the-refresh-token', 'the-client-secret'], NOW);
}

function failure(response: HttpResponse, definition = generic): OAuthProtocolError {
  try {
    parse(response, definition);
  } catch (error: unknown) {
    if (error instanceof OAuthProtocolError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('token responses', () => {
  it('reads a standard JSON answer', () => {
    expect(parse(json({ access_token: 'at', token_type: 'bearer', expires_in: 3600, refresh_token: 'rt', scope: 'a b' }))).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresAt: new Date(NOW + 3600_000),
      refreshToken: 'rt',
      scope: 'a b',
      metadata: {},
    });
  });

  it('reads expires_in given as a string', () => {
    expect(parse(json({ access_token: 'at', expires_in: '3599' })).expiresAt).toEqual(new Date(NOW + 3599_000));
  });

  it('clamps an absurd expires_in to 10 years, as a number, a numeric string or 1e400 (Infinity once parsed)', () => {
    const tenYears = new Date(NOW + MAX_EXPIRES_IN_SECONDS * 1000);
    expect(MAX_EXPIRES_IN_SECONDS).toBe(315_360_000);
    expect(parse(json({ access_token: 'at', expires_in: 1e20 })).expiresAt).toEqual(tenYears);
    expect(parse(json({ access_token: 'at', expires_in: '1e20' })).expiresAt).toEqual(tenYears);
    expect(parse({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"at","expires_in":1e400}' }).expiresAt).toEqual(tenYears);
    expect(parse(json({ access_token: 'at', expires_in: MAX_EXPIRES_IN_SECONDS - 1 })).expiresAt).toEqual(new Date(NOW + (MAX_EXPIRES_IN_SECONDS - 1) * 1000));
  });

  it.each([
    ['a word', 'soon'],
    ['an object', { seconds: 3600 }],
    ['an array', [3600]],
    ['a boolean', true],
    ['null', null],
    ['"NaN"', 'NaN'],
    ['"Infinity"', 'Infinity'],
  ])('treats expires_in that is not a number (%s) as missing: unknown expiry, or the definition\'s assumed lifetime', (_label, value) => {
    expect(parse(json({ access_token: 'at', expires_in: value })).expiresAt).toBeNull();
    expect(parse(json({ access_token: 'at', expires_in: value }), getDefinition('salesforce')).expiresAt).toEqual(new Date(NOW + 3600_000));
  });

  it('treats expires_in of 0 or less as an unknown expiry (never as already expired)', () => {
    for (const value of [0, -1, -3600, '-5', '0']) {
      expect(parse(json({ access_token: 'at', expires_in: value })).expiresAt).toBeNull();
      expect(parse(json({ access_token: 'at', expires_in: value }), getDefinition('salesforce')).expiresAt).toBeNull();
    }
  });

  it('has no expiry when expires_in is missing (and the definition assumes none)', () => {
    expect(parse(json({ access_token: 'at' })).expiresAt).toBeNull();
    expect(parse(json({ access_token: 'at', expires_in: 0 })).expiresAt).toBeNull();
  });

  it("uses the definition's assumed lifetime when expires_in is missing (Salesforce)", () => {
    const salesforce = getDefinition('salesforce');
    const tokens = parse(json({ access_token: 'at', instance_url: 'https://acme.my.salesforce.com', id: 'https://login.salesforce.com/id/x/y', issued_at: '1', signature: 'sig' }), salesforce);
    expect(tokens.expiresAt).toEqual(new Date(NOW + 3600_000));
    expect(tokens.metadata).toEqual({ instance_url: 'https://acme.my.salesforce.com', id: 'https://login.salesforce.com/id/x/y', issued_at: '1' });
  });

  it('leaves refresh_token undefined when a refresh answer has none (the caller keeps the old one)', () => {
    const tokens = parse(json({ access_token: 'at', expires_in: 3600 }));
    expect(tokens.refreshToken).toBeUndefined();
    expect('refreshToken' in tokens).toBe(false);
  });

  it('reads a form-encoded answer (GitHub without Accept: application/json)', () => {
    const response: HttpResponse = { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'access_token=gho_abc&scope=repo%2Cuser&token_type=bearer' };
    expect(parse(response)).toMatchObject({ accessToken: 'gho_abc', scope: 'repo,user', tokenType: 'Bearer', expiresAt: null });
  });

  it('takes the user token from oauth2_token_path and keeps Slack team metadata without any token', () => {
    const slack = { ...getDefinition('slack'), oauth2_token_path: 'authed_user' };
    const tokens = parse(
      json({
        ok: true,
        access_token: 'xoxb-bot',
        token_type: 'bot',
        scope: 'chat:write',
        bot_user_id: 'U0BOT',
        app_id: 'A1',
        team: { id: 'T1', name: 'Acme' },
        enterprise: null,
        authed_user: { id: 'U1', scope: 'users:read', access_token: 'xoxp-user', token_type: 'user', refresh_token: 'xoxe-1-r', expires_in: 43200 },
      }),
      slack,
    );
    expect(tokens).toMatchObject({ accessToken: 'xoxp-user', tokenType: 'user', refreshToken: 'xoxe-1-r', scope: 'users:read' });
    expect(tokens.expiresAt).toEqual(new Date(NOW + 43200_000));
    expect(tokens.metadata).toEqual({ team: { id: 'T1', name: 'Acme' }, enterprise: null, bot_user_id: 'U0BOT', app_id: 'A1' });
    expect(JSON.stringify(tokens.metadata)).not.toContain('xox');
  });

  it('falls back to the top-level token when the nested one is absent (Slack bot-only install, or a refresh)', () => {
    const slack = { ...getDefinition('slack'), oauth2_token_path: 'authed_user' };
    expect(parse(json({ ok: true, access_token: 'xoxb-bot', authed_user: { id: 'U1' } }), slack).accessToken).toBe('xoxb-bot');
  });

  it('never keeps a token in metadata, even when the definition asks for an object that holds one', () => {
    const definition = { ...generic, oauth2_token_metadata: ['authed_user', 'access_token'] };
    const tokens = parse(json({ access_token: 'at', authed_user: { id: 'U1', access_token: 'xoxp', refresh_token: 'r' } }), definition);
    expect(tokens.metadata).toEqual({ authed_user: { id: 'U1' } });
  });

  it('treats a 200 with {ok:false} as an error (Slack)', () => {
    const error = failure(json({ ok: false, error: 'invalid_code' }));
    expect(error).toMatchObject({ kind: 'invalid_grant', providerError: 'invalid_code', status: 200 });
    expect(failure(json({ ok: false, error: 'bad_client_secret' })).kind).toBe('invalid_client');
    expect(failure(json({ ok: false, error: 'something_else' })).kind).toBe('rejected');
  });

  it('treats a 200 with an error field as an error (GitHub)', () => {
    expect(failure(json({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }))).toMatchObject({
      kind: 'invalid_grant',
      providerError: 'bad_verification_code',
    });
    expect(failure(json({ error: 'incorrect_client_credentials' })).kind).toBe('invalid_client');
  });

  it('classifies RFC 6749 errors and statuses', () => {
    expect(failure(json({ error: 'invalid_grant' }, 400))).toMatchObject({ kind: 'invalid_grant', status: 400 });
    expect(failure(json({ error: 'invalid_client' }, 401)).kind).toBe('invalid_client');
    expect(failure(json({ error: 'unauthorized_client' }, 400)).kind).toBe('invalid_client');
    expect(failure(json({}, 401)).kind).toBe('invalid_client');
    expect(failure(json({ error: 'invalid_scope' }, 400)).kind).toBe('rejected');
    expect(failure(json({ error: 'temporarily_unavailable' }, 400)).kind).toBe('transient');
    expect(failure(json({ error: 'server_error' }, 500)).kind).toBe('transient');
    expect(failure({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }).kind).toBe('transient');
    expect(failure({ status: 302, headers: { location: 'https://login.example.com' }, body: '' }).kind).toBe('rejected');
  });

  it('reads Retry-After of a 429 as seconds or as an HTTP date', () => {
    expect(failure(json({ error: 'rate_limited' }, 429, { 'retry-after': '120' }))).toMatchObject({ kind: 'transient', status: 429, retryAfterSeconds: 120 });
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(failure(json({}, 503)).retryAfterSeconds).toBeUndefined();
  });

  it('refuses a 200 without an access token, or with a body that is not JSON or a form', () => {
    expect(failure(json({ token_type: 'Bearer' })).kind).toBe('rejected');
    expect(failure({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>login</html>' }).kind).toBe('rejected');
    expect(failure({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":' }).kind).toBe('rejected');
  });

  it('never puts a secret the provider echoes into the message', () => {
    const error = failure(json({ error: 'invalid_grant', error_description: 'refresh token the-refresh-token for client the-client-secret is revoked' }, 400));
    expect(error.message).toBe('refresh failed: provider answered 400 invalid_grant: refresh token [redacted] for client [redacted] is revoked');
    expect(JSON.stringify(error)).not.toContain('the-refresh-token');
  });

  it('drops an error code that does not look like one', () => {
    expect(failure(json({ error: 'invalid grant <script>' }, 400)).providerError).toBeUndefined();
  });

  it('redacts url-encoded secrets and bounds the text', () => {
    expect(redact('got a%2Bb%2Fc%3D and a+b/c=', ['a+b/c='])).toBe('got [redacted] and [redacted]');
    expect(redact('x'.repeat(500), []).length).toBeLessThanOrEqual(201);
  });
});
