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

/**
 * Every event's path, from the one place that emits it to the one handler that consumes it. The
 * producers call `emitEvent(client, FlowEvent.X, payload)` (@flow-oauth/messaging) on the client that
 * FlowRuntimeModule registers; BullMqServer (connected in each app's `configure*` function) starts a
 * worker for exactly the events its app's `@EventPattern` handlers name, and refuses a handler whose
 * event is not routed to its app below.
 *
 * | event | producer (file, process) | consumer: group, delivery -> handler (file) | what the handler does |
 * |---|---|---|---|
 * | `providers.changed` | ProviderConfigurationService after a load or delete commits (libs/provider-config, config-loader) | flow-oauth-server, broadcast -> FlowEventsController.providersChanged (apps/flow-oauth-server/src/app/flow-events.controller.ts) | ProviderRegistry.reload() |
 * | `providers.changed` | (the same) | token-refresher, broadcast -> ProviderEventsController.providersChanged (apps/token-refresher/src/app/provider-events.controller.ts) | RefreshProviders.forgetAll(): the next refresh reads the provider again |
 * | `connector.needs_reauth` | TokenRefreshService when a refresh ends in needs_reauth (libs/token-refresh; token-refresher, and flow-oauth-server's on-demand refresh); ProviderConfigurationService.purgeTokens (config-loader) | flow-oauth-server, broadcast -> FlowEventsController.needsReauth | ConnectorsService.forget(id): drops the held token answer |
 * | `connector.deleted` | ConnectorsService.delete (libs/connectors, flow-oauth-server) | flow-oauth-server, broadcast -> FlowEventsController.connectorDeleted | ConnectorsService.forget(id) |
 * | `connector.tokens_replaced` | ConnectorsService.tokensReplaced, called when a reconnect stored new tokens (libs/connectors, flow-oauth-server) | flow-oauth-server, broadcast -> FlowEventsController.tokensReplaced | ConnectorsService.forget(id) |
 * | `user.deleted` | UsersService.delete (libs/shared/api-auth, config-loader) | flow-oauth-server, broadcast -> FlowEventsController.userDeleted | UsersService.forgetKeys() |
 * | `provider.credentials_restored` | ProviderConfigurationService when a load changes a `credentials_rejected` provider (config-loader) | token-refresher, one -> ProviderEventsController.credentialsRestored (apps/token-refresher/src/app/provider-events.controller.ts) | DueRefreshLoop.wake(): looks for the provider's connectors now (the load cleared their wait) |
 *
 * A broadcast reaches its sender's own instance too, which has already done the same (forget is
 * idempotent); there is no event per refresh (a held answer is never
 * served past its refresh time). token-refresher's background refreshes reuse a provider read for
 * at most a second, and `providers.changed` ends that at once.
 */
export const FLOW_EVENT_ROUTES: Readonly<Record<FlowEventName, readonly EventRoute[]>> = {
  // Several flow-oauth-server instances must all serve new providers within a second.
  [FlowEvent.ProvidersChanged]: [
    { group: FlowApp.FlowOAuthServer, delivery: 'broadcast' },
    // Background refreshes reuse a provider read for up to a second; a load ends that at once.
    { group: FlowApp.TokenRefresher, delivery: 'broadcast' },
  ],
  // Every flow-oauth-server instance serves token answers and user keys from memory (within their
  // expiry and a few seconds), so each must hear when one stops being valid.
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
