import { FLOW_EVENT_ROUTES, FlowApp, isFlowEvent, routesOf } from './event-routes';
import { FlowEvent } from './flow-events';

describe('event routing table', () => {
  it('routes every FlowEvent to at least one consumer group, each group at most once', () => {
    for (const name of Object.values(FlowEvent)) {
      const groups = FLOW_EVENT_ROUTES[name].map((route) => route.group);
      expect(groups.length).toBeGreaterThan(0);
      expect(new Set(groups).size).toBe(groups.length);
    }
    expect(Object.keys(FLOW_EVENT_ROUTES).sort()).toEqual(Object.values(FlowEvent).sort());
  });

  it('broadcasts providers.changed to every flow-oauth-server and token-refresher instance (refreshes reuse a provider read for a second)', () => {
    expect(routesOf('providers.changed')).toEqual([
      { group: 'flow-oauth-server', delivery: 'broadcast' },
      { group: 'token-refresher', delivery: 'broadcast' },
    ]);
  });

  it('broadcasts what ends a cached token answer or user key to every flow-oauth-server instance', () => {
    for (const name of ['connector.needs_reauth', 'connector.deleted', 'user.deleted']) {
      expect(routesOf(name)).toEqual([{ group: 'flow-oauth-server', delivery: 'broadcast' }]);
    }
  });

  it('gives provider.credentials_restored to one token-refresher', () => {
    expect(routesOf('provider.credentials_restored')).toEqual([{ group: 'token-refresher', delivery: 'one' }]);
  });

  it('sends nothing per refresh: there is no connector.refreshed event', () => {
    expect(routesOf('connector.refreshed')).toBeUndefined();
  });

  it('names consumer groups after the pm2 apps', () => {
    expect(Object.values(FlowApp).sort()).toEqual(['config-loader', 'flow-oauth-server', 'token-refresher']);
  });

  it('does not recognise names outside the table, including inherited object keys', () => {
    expect(isFlowEvent('providers.changed')).toBe(true);
    expect(isFlowEvent('providers.deleted')).toBe(false);
    expect(isFlowEvent('toString')).toBe(false);
    expect(routesOf('constructor')).toBeUndefined();
  });
});
