/** Names of the events services send each other (Nest `@EventPattern` / `ClientProxy.emit`). */
export const FlowEvent = {
  ProvidersChanged: 'providers.changed',
  ConnectorNeedsReauth: 'connector.needs_reauth',
  ConnectorDeleted: 'connector.deleted',
  ConnectorTokensReplaced: 'connector.tokens_replaced',
  UserDeleted: 'user.deleted',
  ProviderCredentialsRestored: 'provider.credentials_restored',
} as const;

/** One of the `FlowEvent` values. */
export type FlowEventName = (typeof FlowEvent)[keyof typeof FlowEvent];

/** An OAuth provider named by its connector type and provider name (`google_gmail` / `Gmail-1`). */
export interface ProviderRef {
  type: string;
  provider: string;
}

/** Sent by config-loader after a load or delete committed; consumers reload their providers. */
export interface ProvidersChangedEvent {
  /** Unique per committed change, so consumers can drop a duplicate delivery. */
  changeId: string;
  /** ISO 8601 time of the commit. */
  at: string;
  added: ProviderRef[];
  updated: ProviderRef[];
  deleted: ProviderRef[];
}

/** Sent when a connector can no longer be refreshed and its owner must sign in again. */
export interface ConnectorNeedsReauthEvent {
  connectorId: string;
  /** A machine-readable cause such as `invalid_grant`; never a token or a secret. */
  reason: string;
  at: string;
}

/** Sent by the flow-oauth-server instance that deleted a connector; the others drop its cached token answer. */
export interface ConnectorDeletedEvent {
  connectorId: string;
  at: string;
}

/** Sent by the flow-oauth-server instance where a reconnect stored new tokens; every instance drops its held token answer. */
export interface ConnectorTokensReplacedEvent {
  connectorId: string;
  at: string;
}

/** Sent by config-loader after a user (and so its key) was deleted; flow-oauth-server instances drop the keys they remember. */
export interface UserDeletedEvent {
  name: string;
  at: string;
}

/**
 * Sent by config-loader after a load changed a provider whose credentials the provider had
 * rejected: it is `ok` again, and its connectors' paused refreshes resume at once.
 */
export interface ProviderCredentialsRestoredEvent {
  providerId: string;
  type: string;
  provider: string;
  at: string;
}

/** The payload type of each event, for typed emitters and handlers. */
export interface FlowEventPayloads {
  [FlowEvent.ProvidersChanged]: ProvidersChangedEvent;
  [FlowEvent.ConnectorNeedsReauth]: ConnectorNeedsReauthEvent;
  [FlowEvent.ConnectorDeleted]: ConnectorDeletedEvent;
  [FlowEvent.ConnectorTokensReplaced]: ConnectorTokensReplacedEvent;
  [FlowEvent.UserDeleted]: UserDeletedEvent;
  [FlowEvent.ProviderCredentialsRestored]: ProviderCredentialsRestoredEvent;
}
