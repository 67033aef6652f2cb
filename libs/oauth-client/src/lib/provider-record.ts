import type { ConnectorDefinition, DeploymentEnvironment } from '@flow-oauth/connector-definitions';

/** A loaded OAuth provider as the protocol client needs it: its type's effective definition and its settings. */
export interface ProviderRecord {
  type: string;
  name: string;
  definition: ConnectorDefinition;
  /** Non-secret settings from the file: CLIENT_ID / CONSUMER_KEY, base_url, SCOPES, TENANT, AUTH_URL... */
  parameters: Record<string, unknown>;
  /** CLIENT_SECRET / CONSUMER_SECRET. */
  secrets: Record<string, string>;
}

export interface OAuthClientOptions {
  /** The redirect URI registered with every provider: `<FLOW_PUBLIC_URL>/Thingworx/Oauths/oauth/return`. */
  returnUrl: string;
  /** Which `env_<env>_params` of a definition apply (FLOW_ENV). */
  env: DeploymentEnvironment;
  /** Deadline of one HTTP exchange with a provider. Default 15 000 ms. */
  timeoutMs?: number;
  /** Largest provider answer read. Default 1 MiB. */
  maxResponseBytes?: number;
}

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** null: the provider gave no lifetime and the definition assumes none. */
  expiresAt: Date | null;
  /** Absent when the answer had none (on refresh: keep the old one). */
  refreshToken?: string;
  /**
   * When the refresh token of this answer lapses, as the provider said (`refresh_token_expires_in`,
   * or Keycloak's `refresh_expires_in`); absent when it did not say.
   */
  refreshTokenExpiresAt?: Date;
  scope?: string;
  /** Token-response fields the definition keeps (`oauth2_token_metadata`), never a token. */
  metadata: Record<string, unknown>;
}
