/**
 * The protocol description of a connector type. Built-in definitions (25 types) and custom ones
 * supplied in the configuration file (odata, soap, swagger) share this shape and are checked by
 * the same schema. Field names follow ThingWorx Flow's definition format (see the seed's odata
 * sample); the `oauth2_*` extensions below it are ours and optional.
 *
 * Template syntax used by the list-valued fields: each entry is a one-key JSON string,
 * e.g. "{\"client_id\":\"{client_id}\"}". `{name}` is a run-time variable, `{{{production.CLIENT_ID}}}`
 * is the loaded credential for that deployment environment, `{OAUTH_ENDPOINT_OAUTH_RETURN}` is the
 * return URL.
 *
 * Run-time contract with the protocol client (the seed's sample relies on it: its token data has no
 * `code`): the client adds `state` (unless `oauth2_no_state`), `code_challenge` and
 * `code_challenge_method` (per `oauth2_pkce`) to the authorize request, and `code` / `code_verifier` to
 * the token request, whenever the templates do not already set those keys.
 */
export type ConnectorType =
  | 'azure' | 'bitly' | 'box' | 'dropbox' | 'dynamics365' | 'excel' | 'github'
  | 'google_gmail' | 'google_drive' | 'google_form' | 'google_sheet' | 'google_task' | 'google_translator'
  | 'integrity' | 'odata' | 'microsoft_365' | 'onedrive' | 'salesforce' | 'servicemax' | 'slack'
  | 'soap' | 'swagger' | 'trello' | 'windchill' | 'youtube' | 'zendesk';

export type DeploymentEnvironment = 'local' | 'development' | 'staging' | 'pre_prod' | 'production';

/** A per-connection value the user supplies before the redirect (`oauth2_required` entry). */
export interface RequiredParameter {
  id: string;
  title: string;
  description?: string;
  /** Used when the user gives nothing. May be a provider parameter reference like "{{{provider.TENANT}}}" — see `provider_default`. */
  default?: string;
  /** Name of a provider (file) parameter whose value, when loaded, is the default for this one. */
  provider_default?: string;
  /** Anchored regular expression the value must match (it ends up in a URL). */
  pattern?: string;
  /** Human description of the pattern, for error messages. */
  pattern_description?: string;
  /** Optional parameters may be left empty. Default: required. */
  optional?: boolean;
}

/** A parameter an operator puts in the configuration file for a provider of this type. */
export interface ProviderParameter {
  name: string;
  /** Other accepted spellings, normalised to `name` on load (e.g. BASE_URL -> base_url). */
  aliases?: string[];
  required: boolean;
  /** Encrypted at rest and redacted in every answer. */
  secret?: boolean;
  /** 'url' values must be absolute http(s) URLs. */
  format?: 'string' | 'url' | 'hostname' | 'scopes';
  description?: string;
  /**
   * Removed from the end of the value on load, after trailing slashes (PingFederate base URL: '/as',
   * so the seed's `https://host:port/as` and PingFederate's `https://host:9031` both work).
   */
  strip_suffix?: string;
  /** The only values accepted (e.g. `testing` / `production`); any other is refused at load. */
  values?: string[];
}

export interface ConnectorDefinition {
  /** The connector type (configuration value). */
  name: string;
  title: string;
  oauth_type: 'OAuth2' | 'OAuth1';
  /** Base for relative `oauth2_*_url` values; may contain `{variables}` (e.g. `{tenant}`). */
  base_url?: string;

  // ---- OAuth 2 endpoints (relative values are joined to base_url) ----
  oauth2_auth_url?: string;
  oauth2_token_url?: string;
  /** Defaults to oauth2_token_url. */
  oauth2_refresh_url?: string;
  oauth2_validate_url?: string;
  oauth2_revoke_url?: string;
  /** How the revoke call is made. Default 'post_form' (RFC 7009: token=...). */
  oauth2_revoke_method?: 'post_form' | 'post_form_client_auth' | 'delete_bearer' | 'post_bearer' | 'delete_basic_json';

  // ---- templates (arrays of one-key JSON strings) ----
  oauth2_auth_query?: string[];
  oauth2_token_data?: string[];
  oauth2_refresh_data?: string[];
  oauth2_validate_headers?: string[];
  /** Extra headers on token and refresh requests (GitHub: Accept: application/json). */
  oauth2_token_headers?: string[];
  /** Scope map: { "<scope value>": "<human title>" }. All keys are requested by default. */
  oauth2_params_scope?: string[];
  oauth2_params_other?: string[];
  /** Values added to authorize, token and refresh requests (seed: resource). */
  oauth2_include?: string[];
  oauth2_required?: RequiredParameter[];
  /** Do not send or check `state`. */
  oauth2_no_state?: boolean;

  // ---- our extensions (all optional) ----
  /** Scope separator. Default ' '. */
  oauth2_scope_separator?: string;
  /** PKCE method; false disables. Default 'S256'. */
  oauth2_pkce?: 'S256' | 'plain' | false;
  /** How the client authenticates at the token endpoint when the templates do not say. Default client_secret_post. */
  oauth2_client_auth?: 'client_secret_post' | 'client_secret_basic';
  /** Dotted path to the object holding the user token in the token response (Slack user tokens: authed_user). */
  oauth2_token_path?: string;
  /** Token-response fields kept as connector metadata (Salesforce instance_url, Slack team). */
  oauth2_token_metadata?: string[];
  /** Whether a refresh returns a new refresh token that replaces the old one. */
  refresh_token_rotates?: 'yes' | 'no' | 'configurable' | 'unknown';
  /** Whether tokens are refreshed at all (false: bitly, trello). */
  refreshable?: boolean;
  /**
   * Access-token lifetime in seconds to assume when the token response has no `expires_in`
   * (Salesforce returns none; its tokens live as long as the org's session timeout).
   */
  oauth2_default_expires_in?: number;
  /**
   * A generic type (odata, soap, swagger). Its built-in definition is a skeleton with default
   * templates and no endpoints; each provider in the file supplies them (AUTH_URL/TOKEN_URL or a full
   * definition; with `oauth_type: 'OAuth1'` the oauth1_* endpoints), and the provider's effective
   * definition keeps this flag.
   */
  generic?: boolean;

  // ---- OAuth 1.0a (trello) ----
  oauth1_request_token_url?: string;
  oauth1_authorize_url?: string;
  oauth1_access_token_url?: string;
  oauth1_signature_method?: 'HMAC-SHA1';
  /** Extra authorize query (trello: name, scope, expiration). */
  oauth1_auth_query?: string[];
  /** Revocation URL called with DELETE (trello: /1/tokens/{token} with key and token in the query). */
  oauth1_revoke_url?: string;

  /** Parameters an operator gives in the configuration file for this type. */
  provider_parameters?: ProviderParameter[];

  /** Per-environment variable overrides, e.g. env_production_params. */
  env_local_params?: string[];
  env_development_params?: string[];
  env_staging_params?: string[];
  env_pre_prod_params?: string[];
  env_production_params?: string[];

  /** Any other documented metadata (uid, icon, version, published...) is kept as is. */
  [extra: string]: unknown;
}
