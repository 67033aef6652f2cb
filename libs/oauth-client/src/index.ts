export { OAuthProtocolError, type OAuthErrorKind, classifyProviderFailure, parseRetryAfter } from './lib/oauth-protocol-error';
export type { ProviderRecord, OAuthClientOptions, TokenSet } from './lib/provider-record';
export {
  validateConnectionParams,
  type ConnectionParamError,
  type ConnectionParamsResult,
} from './lib/connection-params';
export {
  OAuthClient,
  type AuthorizationUrlRequest,
  type AuthorizationUrlResult,
  type CodeExchangeRequest,
  type RefreshRequest,
  type RevokeRequest,
  type RevokeResult,
  type ValidateRequest,
  type ValidateResult,
  type OAuth1RequestTokenRequest,
  type OAuth1RequestTokenResult,
  type OAuth1AccessTokenRequest,
  type OAuth1AccessTokenResult,
} from './lib/oauth-client';
export {
  oauth1AuthorizationHeader,
  signatureBaseString,
  hmacSha1Signature,
  percentEncode,
  type OAuth1Credentials,
  type OAuth1SignInput,
} from './lib/oauth1-signature';
