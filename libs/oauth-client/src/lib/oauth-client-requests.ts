// What each call of the protocol client (OAuthClient) takes and answers.

export interface AuthorizationUrlRequest {
  state: string;
  connectionParams: Record<string, string>;
  scopes?: string[];
}

export interface AuthorizationUrlResult {
  url: string;
  /** Keep it with the state; the code exchange needs it. Absent when the definition disables PKCE. */
  codeVerifier?: string;
  /** The requested scope string (pass it to exchangeCode / refresh). */
  scope: string;
}

export interface CodeExchangeRequest {
  code: string;
  codeVerifier?: string;
  connectionParams: Record<string, string>;
  /** The `scope` returned by buildAuthorizationUrl, for definitions whose token body names the scope (Microsoft). */
  scope?: string;
}

export interface RefreshRequest {
  refreshToken: string;
  connectionParams: Record<string, string>;
  /** The requested scope string (from buildAuthorizationUrl); defaults to the provider's default scopes in templates. */
  scope?: string;
}

export interface RevokeRequest {
  accessToken?: string;
  refreshToken?: string;
  connectionParams: Record<string, string>;
}

export interface RevokeResult {
  revoked: boolean;
  detail: string;
}

export interface ValidateRequest {
  accessToken: string;
  connectionParams: Record<string, string>;
  /** OAuth 1.0a only: the token secret, to sign the validation call. */
  tokenSecret?: string;
}

export interface ValidateResult {
  ok: boolean;
  status?: number;
  detail: string;
}

export interface OAuth1RequestTokenRequest {
  callbackUrl: string;
  scopes?: string[];
  connectionParams?: Record<string, string>;
}

export interface OAuth1RequestTokenResult {
  token: string;
  tokenSecret: string;
  authorizeUrl: string;
}

export interface OAuth1AccessTokenRequest {
  token: string;
  tokenSecret: string;
  verifier: string;
  connectionParams?: Record<string, string>;
}

export interface OAuth1AccessTokenResult {
  token: string;
  tokenSecret: string;
  metadata: Record<string, unknown>;
}
