export { OAuthProtocolError, type OAuthErrorKind, classifyProviderFailure, parseRetryAfter } from './lib/oauth-protocol-error';
export type { ProviderRecord, OAuthClientOptions, TokenSet } from './lib/provider-record';
export {
  validateConnectionParams,
  type ConnectionParamError,
  type ConnectionParamsResult,
} from './lib/connection-params';
export { OAuthClient } from './lib/oauth-client';
export { OAuthClientModule } from './lib/oauth-client.module';
export type {
  AuthorizationUrlRequest,
  AuthorizationUrlResult,
  CodeExchangeRequest,
  RefreshRequest,
  RevokeRequest,
  RevokeResult,
  ValidateRequest,
  ValidateResult,
  OAuth1RequestTokenRequest,
  OAuth1RequestTokenResult,
  OAuth1AccessTokenRequest,
  OAuth1AccessTokenResult,
} from './lib/oauth-client-requests';
export {
  oauth1AuthorizationHeader,
  signatureBaseString,
  hmacSha1Signature,
  percentEncode,
  type OAuth1Credentials,
  type OAuth1SignInput,
} from './lib/oauth1-signature';
