import {
  buildEffectiveDefinition,
  type ConnectorDefinition,
  type ConnectorType,
  getDefinition,
  isConnectorType,
  parseTemplatePair,
  sampleConfiguration,
} from '@flow-oauth/connector-definitions';
import { PROVIDER_FACTS, type ProviderQuirk, type RegistrationPlace } from './provider-quirks';

/** A scope the app must be allowed to request, with its meaning. */
export interface GuideScope {
  scope: string;
  title: string;
}

/** A parameter of the configuration file for this type. */
export interface GuideParameter {
  name: string;
  required: boolean;
  secret: boolean;
  description?: string;
  aliases?: string[];
  values?: string[];
}

/** A value each connection (each user's connector) gives, e.g. a Microsoft tenant. */
export interface GuideConnectionParameter {
  id: string;
  title: string;
  description?: string;
  required: boolean;
  default?: string;
  /** The file parameter whose value is the default. */
  providerDefault?: string;
  format?: string;
}

/** A provider of this type already loaded here: its name, state, client id and what it asks for (never a secret). */
export interface GuideLoadedProvider {
  provider: string;
  state: string;
  clientId?: string;
  scopes: string[];
  authorizationUrl?: string;
  tokenUrl?: string;
}

/** `GET /api/connector-types/:type/setup`: what to register at the third party for this deployment. */
export interface ConnectorSetupGuide {
  type: ConnectorType;
  title: string;
  protocol: 'OAuth2' | 'OAuth1';
  /** The exact redirect (callback) URI to register: `<FLOW_PUBLIC_URL>/Thingworx/Oauths/oauth/return`. */
  redirectUri: string;
  register: RegistrationPlace;
  scopes: GuideScope[];
  scopeSeparator: string;
  grant: {
    /** `authorization_code` (OAuth 2) or `oauth1a`. */
    type: 'authorization_code' | 'oauth1a';
    /** PKCE method Flow sends (`S256`, `plain`), or null when it sends none. */
    pkce: 'S256' | 'plain' | null;
    /** How Flow authenticates at the token endpoint (OAuth 2). */
    clientAuthentication?: 'client_secret_post' | 'client_secret_basic';
    refreshTokens: boolean;
    refreshTokenRotates: 'yes' | 'no' | 'configurable' | 'unknown';
  };
  /** Endpoints of the definition (templates: `{tenant}` is filled per connection); empty for the generic types, whose file gives them. */
  endpoints: { authorizationUrl?: string; tokenUrl?: string; revokeUrl?: string; validateUrl?: string };
  parameters: GuideParameter[];
  connectionParameters: GuideConnectionParameter[];
  quirks: ProviderQuirk[];
  loadedProviders: GuideLoadedProvider[];
  /** A file fragment with `<placeholders>` to replace; loads as it is once they are filled in. */
  fragment: Record<string, Record<string, Record<string, string>>>;
}

/** Inputs from this deployment: its return URL and its loaded providers of the type (config-loader's redacted read). */
export interface SetupGuideContext {
  redirectUri: string;
  loadedProviders: Record<string, Record<string, unknown>>;
}

/** The setup guide of a connector type, or undefined for a type that does not exist. */
export function connectorSetupGuide(type: string, context: SetupGuideContext): ConnectorSetupGuide | undefined {
  if (!isConnectorType(type)) return undefined;
  const def = getDefinition(type);
  const facts = PROVIDER_FACTS[type];
  const oauth2 = def.oauth_type === 'OAuth2';
  const scopeSeparator = def.oauth2_scope_separator ?? ' ';
  return {
    type,
    title: def.title,
    protocol: def.oauth_type,
    redirectUri: context.redirectUri,
    register: facts.register,
    scopes: scopesOf(def),
    scopeSeparator,
    grant: {
      type: oauth2 ? 'authorization_code' : 'oauth1a',
      pkce: oauth2 ? (def.oauth2_pkce === undefined ? 'S256' : def.oauth2_pkce || null) : null,
      ...(oauth2 ? { clientAuthentication: def.oauth2_client_auth ?? 'client_secret_post' } : {}),
      refreshTokens: def.refreshable !== false,
      refreshTokenRotates: def.refresh_token_rotates ?? 'unknown',
    },
    endpoints: endpointsOf(def),
    parameters: (def.provider_parameters ?? []).map((p) => ({
      name: p.name,
      required: p.required,
      secret: p.secret === true,
      ...(p.description ? { description: p.description } : {}),
      ...(p.aliases?.length ? { aliases: p.aliases } : {}),
      ...(p.values?.length ? { values: p.values } : {}),
    })),
    connectionParameters: (def.oauth2_required ?? []).map((p) => ({
      id: p.id,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      required: p.optional !== true,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.provider_default ? { providerDefault: p.provider_default } : {}),
      ...(p.pattern_description ? { format: p.pattern_description } : {}),
    })),
    quirks: facts.quirks,
    loadedProviders: Object.entries(context.loadedProviders).map(([name, settings]) => loadedProvider(type, name, settings)),
    fragment: fragmentFor(type, Object.keys(context.loadedProviders)),
  };
}

function scopesOf(def: ConnectorDefinition): GuideScope[] {
  return (def.oauth2_params_scope ?? []).map((entry) => {
    const [scope, title] = parseTemplatePair(entry);
    return { scope, title };
  });
}

/** A definition URL as written, joined to base_url when relative (placeholders kept: they are per connection). */
function joined(url: string | undefined, baseUrl: string | undefined): string | undefined {
  if (!url) return undefined;
  if (/^https?:\/\//i.test(url) || !baseUrl) return url;
  return `${baseUrl.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

function endpointsOf(def: ConnectorDefinition): ConnectorSetupGuide['endpoints'] {
  const base = def.base_url;
  const entries: Array<[keyof ConnectorSetupGuide['endpoints'], string | undefined]> =
    def.oauth_type === 'OAuth1'
      ? [
          ['authorizationUrl', joined(def.oauth1_authorize_url, base)],
          ['tokenUrl', joined(def.oauth1_access_token_url, base)],
          ['revokeUrl', joined(def.oauth1_revoke_url, base)],
        ]
      : [
          ['authorizationUrl', joined(def.oauth2_auth_url, base)],
          ['tokenUrl', joined(def.oauth2_token_url, base)],
          ['revokeUrl', joined(def.oauth2_revoke_url, base)],
          ['validateUrl', joined(def.oauth2_validate_url, base)],
        ];
  return Object.fromEntries(entries.filter(([, url]) => url !== undefined));
}

/** A loaded provider as the guide shows it: the redacted settings give its client id, scopes and (generic types) endpoints. */
function loadedProvider(type: ConnectorType, name: string, settings: Record<string, unknown>): GuideLoadedProvider {
  const clientId = settings['CLIENT_ID'] ?? settings['CONSUMER_KEY'];
  let def: ConnectorDefinition | undefined;
  try {
    def = buildEffectiveDefinition(type, settings);
  } catch {
    // A provider stored before a definition change: its name and state are still worth showing.
    def = undefined;
  }
  const override = typeof settings['SCOPES'] === 'string' ? settings['SCOPES'].split(/[\s,]+/).filter(Boolean) : undefined;
  return {
    provider: name,
    state: typeof settings['state'] === 'string' ? settings['state'] : 'ok',
    ...(typeof clientId === 'string' ? { clientId } : {}),
    scopes: override ?? (def ? scopesOf(def).map((s) => s.scope) : []),
    ...(def ? pick(endpointsOf(def), ['authorizationUrl', 'tokenUrl']) : {}),
  };
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, value[k]])) as Partial<Pick<T, K>>;
}

/** The sample file's entry for this type, under a provider name not loaded yet (a fragment must add, not update). */
function fragmentFor(type: ConnectorType, loadedNames: string[]): ConnectorSetupGuide['fragment'] {
  const [[sampleName, parameters]] = Object.entries(sampleConfiguration()[type]);
  const taken = new Set(loadedNames);
  let name = sampleName;
  for (let n = 2; taken.has(name); n++) name = `${sampleName}-${n}`;
  return { [type]: { [name]: parameters } };
}
