/** Realistic values for the placeholders of the seed's snippets and of the sample template. */
const REALISTIC_VALUES: Readonly<Record<string, string>> = {
  CLIENT_ID: '8c1f6a52-3b7e-4d0e-9a41-2f5d7c9e1b34',
  CLIENT_SECRET: 'Qx7~kP2vR9sT4wY1zB6nM3hJ8dF5gL0aC',
  CONSUMER_KEY: '3f9a2b7c1d8e4f6a0b5c9d2e7f1a8b3c',
  CONSUMER_SECRET: '9e2d7c4b1a8f5e3d0c6b9a2f7e4d1c8b5a3f0e6d9c2b7a4f1e8d5c3b0a6f9e2d',
  base_url: 'https://pingfederate.example.com:9031/as',
  BASE_URL: 'https://pingfederate.example.com:9031/as',
  AUTH_URL: 'https://login.example.com/oauth2/authorize',
  TOKEN_URL: 'https://login.example.com/oauth2/token',
  REFRESH_URL: 'https://login.example.com/oauth2/token',
  VALIDATE_URL: 'https://api.example.com/v1/me',
};

/** The realistic value for a parameter name. */
export function realisticValue(key: string): string {
  const value = REALISTIC_VALUES[key];
  if (value === undefined) throw new Error(`no realistic value for ${key}`);
  return value;
}

/** Replaces every `"KEY": "<placeholder>"` (a value with < or >) in JSON text by a realistic value. */
export function fillPlaceholders(text: string): string {
  return text.replace(/"([A-Za-z_]+)": "([^"]*[<>][^"]*)"/g, (_match, key: string) => `"${key}": "${realisticValue(key)}"`);
}
