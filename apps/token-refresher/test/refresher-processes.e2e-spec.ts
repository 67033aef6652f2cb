import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ConnectorEntity } from '@flow-oauth/persistence';
import { type OidcTestServer, startHttpFaultProxy, startOidcTestServer } from '@flow-oauth/testing';
import { CONNECTOR_LOCK_TTL_MS, ConnectorLock, RedisPendingTokenStore, TokenRefreshService } from '@flow-oauth/token-refresh';
import { In } from 'typeorm';
import { oidcProvider, REDIRECT, refreshCounts, type RefresherRig, startRig, waitFor } from './refresher-rig';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Makes connectors due now, all at the same instant (one statement). */
async function makeDueNow(rig: RefresherRig, connectors: ConnectorEntity[]): Promise<void> {
  await rig.dataSource.getRepository(ConnectorEntity).update({ id: In(connectors.map((c) => c.id)) }, { nextRefreshAt: new Date().toISOString() });
}

/**
 * token-refresher as processes live and die: several share the work with no double refresh, a
 * killed one's connector lock frees within seconds, and a stop in the middle of refreshes finishes
 * them and loses nothing.
 */
describe('token-refresher processes', () => {
  let oidc: OidcTestServer;
  const secret = 'proc-secret-2718';

  beforeAll(async () => {
    oidc = await startOidcTestServer({
      clients: ['proc-two', 'proc-killed', 'proc-stop'].map((clientId) => ({ clientId, clientSecret: secret, redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post' as const, rotateRefreshToken: true })),
      accessTokenTtlSeconds: 3600,
    });
  });
  afterAll(async () => {
    await oidc?.stop();
  });

  it('two refreshers over 200 connectors due at the same instant: exactly 200 refreshes at the provider, shared between them', async () => {
    const rig = await startRig('postgres');
    try {
      await rig.load({ odata: { 'OIDC-Two': oidcProvider(oidc, 'proc-two', secret) } });
      const connectors: ConnectorEntity[] = [];
      for (let i = 0; i < 200; i += 20) connectors.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => rig.signIn(oidc, 'OIDC-Two', `Two_${i + j}`)))));
      const [a, b] = [await rig.startRefresher(), await rig.startRefresher()];
      const calls = [jest.spyOn(a.get(TokenRefreshService), 'refreshConnector'), jest.spyOn(b.get(TokenRefreshService), 'refreshConnector')];
      const before = await refreshCounts(oidc, 'proc-two');

      await makeDueNow(rig, connectors);
      await waitFor('all 200 connectors refreshed', async () => {
        const rows = await rig.dataSource.getRepository(ConnectorEntity).find({ where: { id: In(connectors.map((c) => c.id)) }, select: { tokenVersion: true } });
        return rows.every((r) => r.tokenVersion === 2) || undefined;
      }, 60_000);
      const after = await refreshCounts(oidc, 'proc-two');
      expect({ refreshes: after.refreshes - before.refreshes, invalidGrant: after.invalidGrant - before.invalidGrant }).toEqual({ refreshes: 200, invalidGrant: 0 });
      const rows = await rig.dataSource.getRepository(ConnectorEntity).find({ where: { id: In(connectors.map((c) => c.id)) } });
      expect(rows.every((r) => r.status === 'active' && r.lastError === null)).toBe(true);
      // Both processes took a share.
      expect(calls.map((c) => c.mock.calls.length).every((n) => n > 0)).toBe(true);
    } finally {
      await rig.close();
    }
  });

  it("a refresher killed in the middle of a refresh (the connector's lock left behind) heals within seconds", async () => {
    const rig = await startRig('sqlite');
    try {
      await rig.load({ odata: { 'OIDC-Killed': oidcProvider(oidc, 'proc-killed', secret) } });
      const connector = await rig.signIn(oidc, 'OIDC-Killed', 'Killed_1');
      const lockKey = new ConnectorLock(rig.redis, rig.config).key(connector.id);
      // Another process takes the connector's lock, as a refresher does when it starts a refresh,
      // then is killed with SIGKILL: nothing is released, nothing extended.
      const script = `
        const { Redis } = require('ioredis');
        const redis = new Redis(${JSON.stringify(rig.config.redisUrl)});
        redis.set(${JSON.stringify(lockKey)}, 'killed-holder', 'PX', ${CONNECTOR_LOCK_TTL_MS}).then(() => process.send('took'));
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const took = new Promise<string>((resolve) => child.once('message', (m) => resolve(String(m))));
      expect(await took).toBe('took');
      await makeDueNow(rig, [connector]);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((r) => child.once('exit', r));
      expect(await rig.redis.get(lockKey)).toBe('killed-holder');

      await rig.startRefresher();
      const healed = await waitFor('the connector to be refreshed by the live refresher', async () => {
        const c = await rig.connector('Killed_1');
        return c.tokenVersion === 2 ? c : undefined;
      }, 25_000);
      console.log(`killed refresher: connector refreshed ${Date.now() - killedAt} ms after the kill (connector lock ${CONNECTOR_LOCK_TTL_MS} ms)`);
      expect(healed).toMatchObject({ status: 'active', lastError: null });
      expect(await refreshCounts(oidc, 'proc-killed')).toMatchObject({ refreshes: 1, invalidGrant: 0 });
    } finally {
      await rig.close();
    }
  });

  it('a stop in the middle of refreshes finishes those in flight, takes no new refresh, leaves no lock, loses nothing', async () => {
    const tokenProxy = await startHttpFaultProxy(oidc.issuer);
    // Token requests the proxy received, those still held included.
    const received = () => tokenProxy.exchanges.length + tokenProxy.inFlight;
    const rig = await startRig('sqlite', { REFRESH_CONCURRENCY: '3' });
    try {
      await rig.load({ odata: { 'OIDC-Stop': oidcProvider(oidc, 'proc-stop', secret, `${tokenProxy.url}${new URL(oidc.tokenEndpoint).pathname}`) } });
      const connectors: ConnectorEntity[] = [];
      for (let i = 0; i < 6; i++) connectors.push(await rig.signIn(oidc, 'OIDC-Stop', `Stop_${i}`));
      // A slow provider: each refresh takes 1.5 s, so the stop lands while three are in flight.
      tokenProxy.holdRequests(1500);
      // The sign-ins' code exchanges went through the proxy too.
      const signIns = received();
      const first = await rig.startRefresher();
      await makeDueNow(rig, connectors);
      await waitFor('three refreshes in flight', async () => received() - signIns >= 3 || undefined, 20_000, 10);
      await first.close();
      // Exactly the three in flight were finished and stored; nobody asked the provider for more.
      expect(received() - signIns).toBe(3);
      const versions = await Promise.all(connectors.map(async (c) => (await rig.connector(c.label)).tokenVersion));
      expect(versions.filter((v) => v === 2)).toHaveLength(3);
      expect(versions.filter((v) => v === 1)).toHaveLength(3);
      // The three finished ones have their next refresh time, written with their tokens.
      const finished = await Promise.all(connectors.filter((_, i) => versions[i] === 2).map((c) => rig.connector(c.label)));
      for (const c of finished) expect(Date.parse(c.nextRefreshAt as string)).toBeGreaterThan(Date.now());
      const pending = new RedisPendingTokenStore(rig.redis, rig.config);
      for (const c of connectors) {
        expect(await rig.redis.exists(new ConnectorLock(rig.redis, rig.config).key(c.id))).toBe(0);
        expect(await rig.redis.exists(pending.key(c.id, 1))).toBe(0);
      }

      // The next refresher picks up the rest.
      tokenProxy.holdRequests(0);
      await rig.startRefresher();
      await waitFor('the other three refreshed', async () => {
        const all = await Promise.all(connectors.map((c) => rig.connector(c.label)));
        return all.every((c) => c.tokenVersion === 2) || undefined;
      });
      expect(await refreshCounts(oidc, 'proc-stop')).toMatchObject({ refreshes: 6, invalidGrant: 0 });
    } finally {
      await rig.close();
      await tokenProxy.stop();
    }
  });
});
