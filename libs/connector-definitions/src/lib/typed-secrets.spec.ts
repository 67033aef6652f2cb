import { SEED_ODATA_DEFINITION } from '../test/seed-snippets';
import { parseConfigurationText, validateConfiguration } from './configuration-file';
import { CONNECTOR_TYPES, getDefinition } from './definitions/registry';
import { findTypedSecrets, isSecretName, redactTypedSecrets } from './typed-secrets';

const TYPED = 'typed-secret-Vq93xL';
const base = { CLIENT_ID: 'client-1', CLIENT_SECRET: 'the-real-secret-1', AUTH_URL: 'https://idp.example.com/authorize', TOKEN_URL: 'https://idp.example.com/token' };
const full = { CLIENT_ID: 'client-1', CLIENT_SECRET: 'the-real-secret-1', oauth2_auth_url: 'https://idp.example.com/authorize', oauth2_token_url: 'https://idp.example.com/token' };

function refusal(type: 'odata' | 'soap' | 'swagger', settings: Record<string, unknown>) {
  const { providers, errors } = validateConfiguration({ [type]: { P: settings } });
  expect(providers).toEqual([]);
  expect(JSON.stringify(errors)).not.toContain(TYPED);
  return errors;
}

describe('secrets typed into a generic provider', () => {
  it.each([
    ['client_secret', { ...base, client_secret: TYPED }, '/odata/P/client_secret'],
    ['Client-Secret', { ...base, 'Client-Secret': TYPED }, '/odata/P/Client-Secret'],
    ['clientSecret', { ...base, clientSecret: TYPED }, '/odata/P/clientSecret'],
    ['password', { ...base, password: TYPED }, '/odata/P/password'],
    ['API_KEY', { ...base, API_KEY: TYPED }, '/odata/P/API_KEY'],
    ['a nested client_secret', { ...base, custom: { auth: [{ client_secret: TYPED }] } }, '/odata/P/custom/auth/0/client_secret'],
  ])('refuses a key named like a secret with a literal value (%s), naming its path', (_label, settings, path) => {
    const errors = refusal('odata', settings);
    expect(errors).toEqual([{ path, message: expect.stringContaining('would be stored and shown in clear') }]);
    expect(errors[0].message).toContain('CLIENT_SECRET');
  });

  it.each([
    ['oauth2_token_data', { ...full, oauth2_token_data: ['{"code":"{code}"}', '{"grant_type":"authorization_code"}', `{"client_secret":"${TYPED}"}`] }, '/swagger/P/oauth2_token_data/2'],
    ['oauth2_refresh_data', { ...full, oauth2_refresh_data: [`{"Client_Secret":"{client_secret}${TYPED}"}`] }, '/swagger/P/oauth2_refresh_data/0'],
    ['env_production_params', { ...full, env_production_params: [`{"client_secret":"${TYPED}"}`] }, '/swagger/P/env_production_params/0'],
    ['oauth2_validate_headers', { ...full, oauth2_validate_headers: [`{"Authorization":"Basic ${TYPED}"}`] }, '/swagger/P/oauth2_validate_headers/0'],
    ['oauth2_token_headers', { ...full, oauth2_token_headers: [`{"authorization":"${TYPED}"}`] }, '/swagger/P/oauth2_token_headers/0'],
    ['oauth2_token_url query', { ...full, oauth2_token_url: `https://idp.example.com/token?tenant=x&client_secret=${TYPED}` }, '/swagger/P/oauth2_token_url'],
    ['TOKEN_URL query', { ...base, TOKEN_URL: `https://idp.example.com/token?api_key=${TYPED}` }, '/swagger/P/TOKEN_URL'],
    ['oauth2_revoke_url user info', { ...full, oauth2_revoke_url: `https://client-1:${TYPED}@idp.example.com/revoke` }, '/swagger/P/oauth2_revoke_url'],
  ])('refuses a secret written literally into a template (%s), naming its path', (_label, settings, path) => {
    const errors = refusal('swagger', settings);
    expect(errors.map((e) => e.path)).toContain(path);
    expect(errors.find((e) => e.path === path)?.message).toMatch(/would be stored and shown in clear/);
  });

  it('accepts templates that only refer to the secret, and the secret as CLIENT_SECRET', () => {
    const { providers, errors } = validateConfiguration({
      soap: {
        P: {
          ...full,
          oauth2_token_data: ['{"client_secret":"{client_secret}"}', '{"code":"{code}"}', '{"grant_type":"authorization_code"}'],
          oauth2_refresh_data: ['{"client_secret":"{{{production.CLIENT_SECRET}}}"}', '{"refresh_token":"{refresh_token}"}', '{"grant_type":"refresh_token"}'],
          oauth2_validate_headers: ['{"Authorization":"Bearer {access_token}"}'],
          oauth2_revoke_url: 'https://idp.example.com/revoke?token_type_hint=refresh_token',
          client_secret: '{client_secret}',
        },
      },
    });
    expect(errors).toEqual([]);
    expect(providers[0].secrets).toEqual({ CLIENT_SECRET: 'the-real-secret-1' });
  });

  it("passes the seed's odata sample and every built-in definition (no real template is refused)", () => {
    const sample = parseConfigurationText(SEED_ODATA_DEFINITION).value as Record<string, unknown>;
    expect(validateConfiguration({ odata: { 'Dynamics 365': { ...sample, CLIENT_ID: 'id-1', CLIENT_SECRET: 'secret-1' } } }).errors).toEqual([]);
    for (const type of CONNECTOR_TYPES) {
      expect({ type, errors: findTypedSecrets(getDefinition(type) as unknown as Record<string, unknown>, (key) => `/${key}`).errors }).toEqual({ type, errors: [] });
    }
  });

  it('names secrets in any case and spelling, not look-alikes', () => {
    for (const name of ['client_secret', 'CLIENT-SECRET', 'Client.Secret', 'consumer_secret', 'x-api-key', 'refresh_token', 'PASSWORD']) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: true });
    for (const name of ['client_id', 'token_type_hint', 'grant_type', 'secret_question_hint', 'oauth2_client_auth', 'code']) expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: false });
  });

  it('redacts what a provider stored before the check existed, keeping everything else', () => {
    const stored = {
      CLIENT_ID: 'client-1',
      client_secret: TYPED,
      oauth2_token_data: [`{"client_secret":"${TYPED}"}`, '{"code":"{code}"}'],
      oauth2_token_url: `https://idp.example.com/token?x=1&client_secret=${TYPED}#f`,
      oauth2_revoke_url: `https://u:${TYPED}@idp.example.com/revoke`,
      custom: { nested: { password: TYPED, note: 'kept' } },
    };
    const redacted = redactTypedSecrets(stored);
    expect(JSON.stringify(redacted)).not.toContain(TYPED);
    expect(redacted).toEqual({
      CLIENT_ID: 'client-1',
      client_secret: '********',
      oauth2_token_data: ['{"client_secret":"********"}', '{"code":"{code}"}'],
      oauth2_token_url: 'https://idp.example.com/token?x=1&client_secret=********#f',
      oauth2_revoke_url: 'https://********@idp.example.com/revoke',
      custom: { nested: { password: '********', note: 'kept' } },
    });
  });
});
