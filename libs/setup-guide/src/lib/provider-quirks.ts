import type { ConnectorType } from '@flow-oauth/connector-definitions';

/** One thing an operator should know when registering an app for a connector type, and where it comes from. */
export interface ProviderQuirk {
  text: string;
  /** The source key of `shared/reference/providers.md` (GOOG, MS-RT, ...). */
  source: string;
}

/** Where the app is registered at the third party, and what kind of app to create. */
export interface RegistrationPlace {
  where: string;
  appKind: string;
}

const GOOGLE_REGISTRATION: RegistrationPlace = {
  where: 'Google Cloud console, APIs & Services: OAuth consent screen, then Credentials, "Create credentials", "OAuth client ID"',
  appKind: 'Web application (enable the product\'s API in the same project)',
};
const MICROSOFT_REGISTRATION: RegistrationPlace = {
  where: 'Microsoft Entra admin center, App registrations, "New registration"; then "Certificates & secrets" for a client secret',
  appKind: 'Web platform redirect URI (not "Single-page application": those refresh tokens live 24 hours)',
};
const PINGFEDERATE_REGISTRATION: RegistrationPlace = {
  where: 'PingFederate administrative console: Applications, OAuth, Clients, "Add Client"',
  appKind: 'Client authentication "Client Secret", grant types "Authorization Code" and "Refresh Token"',
};
const SALESFORCE_REGISTRATION: RegistrationPlace = {
  where: 'Salesforce Setup, External Client App Manager, "New External Client App" (connected apps can no longer be created from Spring \'26)',
  appKind: 'OAuth enabled, with the callback URL and OAuth scopes below',
};
const GENERIC_REGISTRATION: RegistrationPlace = {
  where: 'the authorization server of the service (its own console)',
  appKind: 'a confidential client with the authorization-code grant and refresh tokens',
};

const GOOGLE_QUIRKS: ProviderQuirk[] = [
  { text: 'An app whose OAuth consent screen is in "Testing" gets refresh tokens that lapse after 7 days: publish the app, or set "PUBLISHING_STATUS": "testing" so Flow warns before each connector needs its user again.', source: 'GOOG' },
  { text: 'Google revokes a refresh token unused for 6 months, and the oldest when a user or client holds too many.', source: 'GOOG' },
  { text: 'Google returns a refresh token only on consent; Flow asks with access_type=offline and prompt=consent, so reconnecting gets a new one.', source: 'GOOG' },
  { text: 'A refresh returns a new access token only: the refresh token does not rotate.', source: 'GOOG' },
];

const MICROSOFT_QUIRKS: ProviderQuirk[] = [
  { text: 'offline_access must stay among the scopes, or no refresh token is issued.', source: 'MS-RT' },
  { text: 'Refresh tokens last 90 days and replace themselves on every use (rotation); Flow keeps the newest.', source: 'MS-RT' },
  { text: 'Access tokens last a randomised 60 to 90 minutes; Flow follows expires_in.', source: 'MS-AT' },
  { text: 'The tenant is per connection: common, organizations, consumers, a tenant GUID or a domain (a default can be set with TENANT).', source: 'MS-RT' },
  { text: 'There is no token revocation endpoint: deleting a connector removes its tokens from Flow only (Graph revokeSignInSessions ends every session of the user).', source: 'MS-REVOKE' },
];

const SALESFORCE_QUIRKS: ProviderQuirk[] = [
  { text: 'The token answer has no expires_in (the access token lives as long as the org\'s session timeout): Flow assumes one hour and refreshes before it.', source: 'SF-RT' },
  { text: 'Enable the refresh_token (offline_access) scope, or no refresh token is issued.', source: 'SF-RT' },
  { text: 'The refresh-token policy defaults to "valid until revoked"; an idle limit or rotation are opt-in settings of the app.', source: 'SF-RT' },
  { text: 'Sandboxes sign in at test.salesforce.com: set it per connection (login host) or as the provider\'s LOGIN_HOST.', source: 'SF-RT' },
];

const PINGFEDERATE_QUIRKS: ProviderQuirk[] = [
  { text: 'base_url is the PingFederate runtime base URL (e.g. https://pf.example.com:9031); a trailing /as is accepted.', source: 'PF-TOKEN' },
  { text: 'Access tokens last 120 minutes by default (the access token manager\'s setting).', source: 'PF-ATM' },
  { text: 'Refresh-token rolling is a PingFederate policy (global or per client): Flow always keeps the refresh token a refresh returns.', source: 'PTC-IAM' },
];

const GENERIC_QUIRKS: ProviderQuirk[] = [
  { text: 'The endpoints come from the file: AUTH_URL and TOKEN_URL (REFRESH_URL defaults to TOKEN_URL; VALIDATE_URL enables health checks), or a full definition.', source: 'OAS' },
  { text: 'Whether refresh tokens rotate is unknown: Flow keeps any refresh token a refresh returns.', source: 'OAS' },
];

/**
 * What `shared/reference/providers.md` knows per connector type that an operator needs while
 * registering the app: where to register it, and the provider's known quirks. Kept as data (one
 * entry per type, checked complete by a test) so a 27th type adds its facts here.
 */
export const PROVIDER_FACTS: Readonly<Record<ConnectorType, { register: RegistrationPlace; quirks: ProviderQuirk[] }>> = {
  azure: { register: MICROSOFT_REGISTRATION, quirks: [...MICROSOFT_QUIRKS, { text: 'Request one resource per connector type: ARM (management.azure.com/user_impersonation) or Storage (storage.azure.com/.default).', source: 'MS-RT' }] },
  bitly: {
    register: { where: 'Bitly, Settings, Developer settings, "Registered OAuth apps"', appKind: 'an OAuth app with the redirect URI below' },
    quirks: [{ text: 'Bitly issues no refresh token and its access tokens do not expire: nothing is refreshed, and there is no scope.', source: 'BITLY' }],
  },
  box: {
    register: { where: 'Box Developer Console, "Create New App", "Custom App"', appKind: 'User Authentication (OAuth 2.0)' },
    quirks: [
      { text: 'Refresh tokens are single-use and last 60 days; each refresh returns a new one (rotation). Access tokens last 60 minutes.', source: 'BOX-RT' },
      { text: 'Without a scope the app\'s configured scopes apply (e.g. root_readwrite): tick them in the app\'s configuration.', source: 'BOX-AUTHZ' },
    ],
  },
  dropbox: {
    register: { where: 'Dropbox App Console, "Create app"', appKind: 'Scoped access; tick the scopes below on the app\'s Permissions tab' },
    quirks: [
      { text: 'Flow asks with token_access_type=offline, without which Dropbox gives no refresh token.', source: 'DBX' },
      { text: 'Access tokens last about 4 hours; the refresh token is long-lived and does not rotate.', source: 'DBX' },
    ],
  },
  dynamics365: {
    register: MICROSOFT_REGISTRATION,
    quirks: [...MICROSOFT_QUIRKS, { text: 'The scope names the environment: https://<org>.crm.dynamics.com/user_impersonation, from the connection\'s resource (the environment URL; a default can be set with RESOURCE_URL). Add the "Dynamics CRM" API permission to the app.', source: 'MS-DV' }],
  },
  excel: { register: MICROSOFT_REGISTRATION, quirks: [...MICROSOFT_QUIRKS, { text: 'The workbook API works on OneDrive for Business and SharePoint only, not on personal OneDrive accounts.', source: 'MS-EXCEL' }] },
  github: {
    register: { where: 'GitHub, Settings, Developer settings, "OAuth Apps" or "GitHub Apps"', appKind: 'the callback URL below (a GitHub App: "Expire user authorization tokens" on)' },
    quirks: [
      { text: 'OAuth-App tokens do not expire by default; expiring user tokens last 8 hours with a 6-month refresh token that rotates. Flow follows what the token answer says.', source: 'GH-RT' },
      { text: 'PKCE S256 only (GitHub supports it since July 2025).', source: 'GH-PKCE' },
      { text: 'Deleting a connector revokes its token with the app\'s client id and secret (DELETE /applications/{client_id}/token).', source: 'GH-REV' },
    ],
  },
  google_drive: { register: GOOGLE_REGISTRATION, quirks: GOOGLE_QUIRKS },
  google_form: { register: GOOGLE_REGISTRATION, quirks: GOOGLE_QUIRKS },
  google_gmail: { register: GOOGLE_REGISTRATION, quirks: [...GOOGLE_QUIRKS, { text: 'A password change revokes refresh tokens holding Gmail scopes.', source: 'GOOG' }] },
  google_sheet: { register: GOOGLE_REGISTRATION, quirks: GOOGLE_QUIRKS },
  google_task: { register: GOOGLE_REGISTRATION, quirks: GOOGLE_QUIRKS },
  google_translator: { register: GOOGLE_REGISTRATION, quirks: [...GOOGLE_QUIRKS, { text: 'Translation v3 calls name the Google Cloud project id in their path (projects/{id}): an API matter, not an OAuth setting.', source: 'GOOG' }] },
  integrity: { register: PINGFEDERATE_REGISTRATION, quirks: [...PINGFEDERATE_QUIRKS, { text: 'Scopes are defined by the site: INTEGRITY_READ (Windchill Modeler\'s default) or INTEGRITY_READ_WRITE.', source: 'PTC-WM' }] },
  microsoft_365: { register: MICROSOFT_REGISTRATION, quirks: MICROSOFT_QUIRKS },
  odata: { register: GENERIC_REGISTRATION, quirks: [...GENERIC_QUIRKS, { text: 'OData defines no authentication of its own; SAP services often separate scopes with commas.', source: 'NANGO' }] },
  onedrive: { register: MICROSOFT_REGISTRATION, quirks: [...MICROSOFT_QUIRKS, { text: 'Personal OneDrive accounts sign in with the tenant "consumers" (the app must allow personal Microsoft accounts).', source: 'MS-RT' }] },
  salesforce: { register: SALESFORCE_REGISTRATION, quirks: SALESFORCE_QUIRKS },
  servicemax: { register: SALESFORCE_REGISTRATION, quirks: [...SALESFORCE_QUIRKS, { text: 'ServiceMax Core is a Salesforce managed package: register the app in the Salesforce org that hosts it.', source: 'SF-RT' }] },
  slack: {
    register: { where: 'Slack API, "Your Apps", "Create New App"; OAuth & Permissions', appKind: 'bot scopes and (USER_SCOPES) user scopes, the redirect URL below' },
    quirks: [
      { text: 'Scopes are separated by commas; bot scopes go in scope, user scopes in user_scope (the USER_SCOPES parameter).', source: 'SLK-ROT' },
      { text: 'Tokens do not expire unless token rotation is turned on (then 12-hour access tokens and single-use refresh tokens).', source: 'SLK-ROT' },
      { text: 'Turning PKCE on makes the app a public client whose refresh tokens lapse after 30 days; Flow does not use PKCE for Slack.', source: 'SLK-PKCE' },
    ],
  },
  soap: { register: GENERIC_REGISTRATION, quirks: GENERIC_QUIRKS },
  swagger: { register: GENERIC_REGISTRATION, quirks: [...GENERIC_QUIRKS, { text: 'The OpenAPI document\'s securitySchemes.oauth2.flows.authorizationCode gives authorizationUrl (AUTH_URL), tokenUrl (TOKEN_URL), refreshUrl and scopes.', source: 'OAS' }] },
  trello: {
    register: { where: 'Trello Power-Up admin portal: the API key (CONSUMER_KEY) and its secret (CONSUMER_SECRET)', appKind: 'allowed origin: the origin of the redirect URI below' },
    quirks: [
      { text: 'OAuth 1.0a (HMAC-SHA1): no refresh; Flow asks for expiration=never so tokens do not lapse after the default 30 days.', source: 'TRELLO' },
      { text: 'Scopes are separated by commas (read,write; account for the e-mail address).', source: 'TRELLO' },
    ],
  },
  windchill: {
    register: PINGFEDERATE_REGISTRATION,
    quirks: [
      ...PINGFEDERATE_QUIRKS,
      { text: 'Scopes must be registered in PingFederate and in Windchill\'s securityContext.properties (e.g. WINDCHILL_READ); OAuth calls go to /Windchill/oauth/... paths.', source: 'PTC-WC' },
      { text: 'PF_IDP_ADAPTER_ID picks the IdP adapter instance that signs users in (pfidpadapterid).', source: 'PF-PFIDP' },
    ],
  },
  youtube: { register: GOOGLE_REGISTRATION, quirks: GOOGLE_QUIRKS },
  zendesk: {
    register: { where: 'Zendesk Admin Center, Apps and integrations, APIs, "OAuth Clients", "Add OAuth client"', appKind: 'kind "Confidential"' },
    quirks: [
      { text: 'URLs are per account: each connection gives its subdomain (a default can be set with SUBDOMAIN).', source: 'ZD-RT' },
      { text: 'Flow sends expires_in=1800 to opt into expiring access tokens with refresh tokens; each refresh replaces both (rotation).', source: 'ZD-TTL' },
      { text: 'Refresh tokens last 30 days by default (7 to 90, set on the OAuth client).', source: 'ZD-TTL' },
    ],
  },
};
