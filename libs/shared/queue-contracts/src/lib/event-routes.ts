import { FlowEvent, FlowEventName } from './flow-events';

/** The pm2 app names; an event consumer group is named after the app that consumes. */
export const FlowApp = {
  ConfigLoader: 'config-loader',
  FlowOAuthServer: 'flow-oauth-server',
  TokenRefresher: 'token-refresher',
} as const;

/** One of the `FlowApp` values. */
export type FlowAppName = (typeof FlowApp)[keyof typeof FlowApp];

/**
 * How a consumer group receives an event:
 * - `broadcast`: every running instance of the group gets its own copy; instances that are not
 *   running miss it (they read current state when they start);
 * - `one`: one instance of the group handles it; it waits in Redis while no instance runs.
 */
export type EventDelivery = 'broadcast' | 'one';

/** One consumer group of an event and how it gets it. */
export interface EventRoute {
  readonly group: FlowAppName;
  readonly delivery: EventDelivery;
}

/** Who receives each event. The messaging transport refuses events that are not listed here. */
export const FLOW_EVENT_ROUTES: Readonly<Record<FlowEventName, readonly EventRoute[]>> = {
  // Several flow-oauth-server instances must all serve new providers within a second.
  [FlowEvent.ProvidersChanged]: [
    { group: FlowApp.FlowOAuthServer, delivery: 'broadcast' },
    { group: FlowApp.TokenRefresher, delivery: 'broadcast' },
  ],
  // Every flow-oauth-server instance serves token answers and user keys from memory (within their
  // expiry and a few seconds), so each must hear when one stops being valid. No connector.refreshed:
  // a cached answer is never served past its refresh time, so a refresh needs no message to every
  // server (which would cost one job per refresh per instance).
  [FlowEvent.ConnectorNeedsReauth]: [{ group: FlowApp.FlowOAuthServer, delivery: 'broadcast' }],
  [FlowEvent.ConnectorDeleted]: [{ group: FlowApp.FlowOAuthServer, delivery: 'broadcast' }],
  // A reconnect (possibly with other scopes) replaced the tokens: no instance may serve the old answer.
  [FlowEvent.ConnectorTokensReplaced]: [{ group: FlowApp.FlowOAuthServer, delivery: 'broadcast' }],
  [FlowEvent.UserDeleted]: [{ group: FlowApp.FlowOAuthServer, delivery: 'broadcast' }],
  // One token-refresher re-queues the provider's paused refreshes; kept in Redis while none runs.
  [FlowEvent.ProviderCredentialsRestored]: [{ group: FlowApp.TokenRefresher, delivery: 'one' }],
};

/** Tells whether a name is one of the routed events. */
export function isFlowEvent(name: string): name is FlowEventName {
  return Object.prototype.hasOwnProperty.call(FLOW_EVENT_ROUTES, name);
}

/** The routes of an event, or undefined when the name is not in the routing table. */
export function routesOf(name: string): readonly EventRoute[] | undefined {
  return isFlowEvent(name) ? FLOW_EVENT_ROUTES[name] : undefined;
}
