import { CONNECTOR_TYPES, parseConfigurationText, validateConfiguration } from '@flow-oauth/connector-definitions';
import { PROVIDER_FACTS } from './provider-quirks';
import { connectorSetupGuide } from './setup-guide';

const REDIRECT = 'https://flow.example.com/Thingworx/Oauths/oauth/return';

/** What an operator pastes after filling in the fragment's placeholders. */
const FILLED: Record<string, string> = {
  CLIENT_ID: 'client-1234',
  CLIENT_SECRET: 'filled-in-secret-5678',
  CONSUMER_KEY: 'consumer-1234',
  CONSUMER_SECRET: 'filled-in-consumer-secret-5678',
  base_url: 'https://pf.example.com:9031',
  AUTH_URL: 'https://login.example.com/oauth2/authorize',
  TOKEN_URL: 'https://login.example.com/oauth2/token',
};

function filledIn(fragment: Record<string, Record<string, Record<string, string>>>): string {
  const copy = structuredClone(fragment);
  for (const providers of Object.values(copy)) {
    for (const parameters of Object.values(providers)) {
      for (const [key, value] of Object.entries(parameters)) {
        expect(value).toMatch(/^<.+>$/);
        if (FILLED[key] === undefined) throw new Error(`no test value for ${key}`);
        parameters[key] = FILLED[key];
      }
    }
  }
  return JSON.stringify(copy);
}

describe('connectorSetupGuide', () => {
  it('knows where to register and the quirks of every connector type', () => {
    for (const type of CONNECTOR_TYPES) {
      expect(PROVIDER_FACTS[type].register.where).not.toBe('');
      expect(PROVIDER_FACTS[type].quirks.length).toBeGreaterThan(0);
    }
  });

  it.each(CONNECTOR_TYPES)('gives %s a fragment that loads once its placeholders are filled in', (type) => {
    const guide = connectorSetupGuide(type, { redirectUri: REDIRECT, loadedProviders: {} });
    if (!guide) throw new Error('no guide');
    const parsed = parseConfigurationText(filledIn(guide.fragment));
    expect(parsed.errors).toEqual([]);
    const result = validateConfiguration(parsed.value);
    expect(result.errors).toEqual([]);
    expect(result.providers).toHaveLength(1);
  });

  it('names the exact redirect URI, the scopes, the grant and PKCE of the definition', () => {
    const guide = connectorSetupGuide('google_gmail', { redirectUri: REDIRECT, loadedProviders: {} });
    expect(guide).toMatchObject({
      type: 'google_gmail',
      protocol: 'OAuth2',
      redirectUri: REDIRECT,
      scopes: [{ scope: 'https://www.googleapis.com/auth/gmail.modify' }],
      grant: { type: 'authorization_code', pkce: 'S256', refreshTokens: true, refreshTokenRotates: 'no' },
      endpoints: { authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth', tokenUrl: 'https://oauth2.googleapis.com/token' },
    });
    expect(guide?.quirks.map((q) => q.text).join(' ')).toContain('7 days');
    expect(guide?.parameters.find((p) => p.name === 'CLIENT_SECRET')).toMatchObject({ required: true, secret: true });
  });

  it('says what each connection gives and joins relative endpoints to the base URL', () => {
    const guide = connectorSetupGuide('zendesk', { redirectUri: REDIRECT, loadedProviders: {} });
    expect(guide?.connectionParameters).toEqual([expect.objectContaining({ id: 'subdomain', required: true, providerDefault: 'SUBDOMAIN' })]);
    expect(guide?.endpoints.tokenUrl).toBe('https://{subdomain}.zendesk.com/oauth/tokens');
  });

  it('describes OAuth 1.0a and tokens without refresh (trello, slack without PKCE)', () => {
    expect(connectorSetupGuide('trello', { redirectUri: REDIRECT, loadedProviders: {} })?.grant).toEqual({ type: 'oauth1a', pkce: null, refreshTokens: false, refreshTokenRotates: 'no' });
    expect(connectorSetupGuide('slack', { redirectUri: REDIRECT, loadedProviders: {} })).toMatchObject({ scopeSeparator: ',', grant: { pkce: null } });
  });

  it('lists the loaded providers without their secrets and names the fragment after a provider not loaded yet', () => {
    const loaded = { Gmail: { CLIENT_ID: 'client-abc', CLIENT_SECRET: '********', SCOPES: 'https://mail.google.com/', state: 'credentials_rejected' } };
    const guide = connectorSetupGuide('google_gmail', { redirectUri: REDIRECT, loadedProviders: loaded });
    expect(guide?.loadedProviders).toEqual([
      { provider: 'Gmail', state: 'credentials_rejected', clientId: 'client-abc', scopes: ['https://mail.google.com/'], authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth', tokenUrl: 'https://oauth2.googleapis.com/token' },
    ]);
    expect(Object.keys(guide?.fragment['google_gmail'] ?? {})).toEqual(['Gmail-2']);
    expect(JSON.stringify(guide)).not.toContain('********');
  });

  it('shows a generic provider\'s endpoints from the file', () => {
    const loaded = { OData: { CLIENT_ID: 'c', CLIENT_SECRET: '********', AUTH_URL: 'https://idp.example.com/authorize', TOKEN_URL: 'https://idp.example.com/token', state: 'ok' } };
    const guide = connectorSetupGuide('odata', { redirectUri: REDIRECT, loadedProviders: loaded });
    expect(guide?.endpoints).toEqual({});
    expect(guide?.loadedProviders[0]).toMatchObject({ authorizationUrl: 'https://idp.example.com/authorize', tokenUrl: 'https://idp.example.com/token' });
  });

  it('has no guide for a type that does not exist', () => {
    expect(connectorSetupGuide('gmail', { redirectUri: REDIRECT, loadedProviders: {} })).toBeUndefined();
    expect(connectorSetupGuide('__proto__', { redirectUri: REDIRECT, loadedProviders: {} })).toBeUndefined();
  });
});
