/** Names of the events services send each other (Nest `@EventPattern` / `ClientProxy.emit`). */
export const FlowEvent = {
  ProvidersChanged: 'providers.changed',
  ConnectorRefreshed: 'connector.refreshed',
  ConnectorNeedsReauth: 'connector.needs_reauth',
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

/** Sent by token-refresher after a connector's tokens were refreshed. */
export interface ConnectorRefreshedEvent {
  connectorId: string;
  /** ISO 8601 expiry of the new access token, null when it does not expire. */
  expiresAt: string | null;
  at: string;
}

/** Sent when a connector can no longer be refreshed and its owner must sign in again. */
export interface ConnectorNeedsReauthEvent {
  connectorId: string;
  /** A machine-readable cause such as `invalid_grant`; never a token or a secret. */
  reason: string;
  at: string;
}

/** The payload type of each event, for typed emitters and handlers. */
export interface FlowEventPayloads {
  [FlowEvent.ProvidersChanged]: ProvidersChangedEvent;
  [FlowEvent.ConnectorRefreshed]: ConnectorRefreshedEvent;
  [FlowEvent.ConnectorNeedsReauth]: ConnectorNeedsReauthEvent;
}
