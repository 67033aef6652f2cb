import { ConnectorEntity } from '@flow-oauth/persistence';
import { type HttpFaultProxy, LogCapture, type OidcTestServer, startHttpFaultProxy, startOidcTestServer, startTcpProxy, type TcpProxy, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { RedisPendingTokenStore } from '@flow-oauth/token-refresh';
import { oidcProvider, REDIRECT, refreshCounts, type RefresherRig, startRig, waitFor } from './refresher-rig';

/**
 * A token set the provider issued is never lost, and a refresh token it rotated is never sent
 * again: the database refusing the write after the provider answered (PostgreSQL cut through a
 * proxy this test owns; on SQLite a trigger that makes the write fail for real) leaves the answer in
 * the pending store, and the retry writes it without asking the provider again. A database that
 * cannot take a write before the refresh keeps the provider from being asked at all.
 */
describe.each(TEST_DATABASE_KINDS)('no token set is lost when the database refuses a refresh write, on %s', (kind) => {
  let oidc: OidcTestServer;
  let tokenProxy: HttpFaultProxy;
  let rig: RefresherRig;
  let proxy: TcpProxy | undefined;
  const clientId = `dl-client-${kind}`;
  const logs = new LogCapture();

  beforeAll(async () => {
    oidc = await startOidcTestServer({
      clients: [{ clientId, clientSecret: 'dl-secret-9931', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 3600,
    });
    tokenProxy = await startHttpFaultProxy(oidc.issuer);
    logs.start();
    rig = await startRig(kind);
    await rig.load({ odata: { 'OIDC-DataLoss': oidcProvider(oidc, clientId, 'dl-secret-9931', `${tokenProxy.url}${new URL(oidc.tokenEndpoint).pathname}`) } });
    if (kind === 'postgres') {
      // The refresher reaches PostgreSQL only through this proxy; the test's own connection does not.
      const url = new URL(rig.config.database.type === 'postgres' ? rig.config.database.url : '');
      proxy = await startTcpProxy({ targetHost: url.hostname, targetPort: Number(url.port || 5432) });
      const proxied = proxy.urlThrough(url.toString());
      await rig.startRefresher((config) => ({ ...config, database: { type: 'postgres', url: proxied } }));
    } else {
      await rig.startRefresher();
    }
  });
  afterAll(async () => {
    logs.stop();
    await rig?.close();
    await proxy?.stop();
    await tokenProxy?.stop();
    await oidc?.stop();
  });

  /** The database stops taking writes of new tokens (PostgreSQL: gone altogether; SQLite: token writes fail). */
  async function breakDatabase(what: 'token writes' | 'any refresh write'): Promise<void> {
    if (proxy) return proxy.cut();
    const column = what === 'token writes' ? 'access_token' : 'refresh_started_at';
    await rig.dataSource.query(`CREATE TRIGGER refuse_writes BEFORE UPDATE OF ${column} ON connectors BEGIN SELECT RAISE(ABORT, 'the database refused the write (test)'); END`);
  }

  async function repairDatabase(): Promise<void> {
    if (proxy) return proxy.restore();
    await rig.dataSource.query('DROP TRIGGER IF EXISTS refuse_writes');
  }

  /** Makes the connector due now (the refresher's loop reads what is due several times a second). */
  async function refreshNow(connector: Pick<ConnectorEntity, 'id' | 'tokenVersion'>): Promise<void> {
    await rig.dataSource.getRepository(ConnectorEntity).update({ id: connector.id }, { nextRefreshAt: new Date().toISOString() });
  }

  /** How many background attempts on this connector ended as storage_error (one log line each). */
  function storageErrors(connectorId: string): number {
    return logs.text().split(`refresh of connector ${connectorId}: storage_error`).length - 1;
  }

  /** The pending copy is dropped just after the token write lands (a write seen in the database may be a moment ahead of it). */
  async function pendingDropped(pendingKey: string): Promise<void> {
    await waitFor('the pending copy dropped', async () => ((await rig.redis.exists(pendingKey)) === 0 ? true : undefined), 5000, 20);
  }

  it('the provider rotated the refresh token and the write failed: the retry writes the kept token set, the old refresh token is never sent again', async () => {
    const created = await rig.signIn(oidc, 'OIDC-DataLoss', `Loss_${kind}`);
    const before = await refreshCounts(oidc, clientId);
    const pendingKey = new RedisPendingTokenStore(rig.redis, rig.config).key(created.id, created.tokenVersion);
    // The moment the provider is asked (after the refresher checked that the database takes writes),
    // the database goes: the request is held at the proxy until then.
    tokenProxy.stallRequests();
    await refreshNow(created);
    await tokenProxy.waitForInFlight(1, 30_000);
    await breakDatabase('token writes');
    tokenProxy.resumeRequests();

    await waitFor('the provider to answer and the answer to be kept in the pending store', async () => (await rig.redis.exists(pendingKey)) === 1);
    // The refresher retries while the database is away; it never goes back to the provider.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await refreshCounts(oidc, clientId)).refreshes - before.refreshes).toBe(1);
    expect((await rig.connector(created.label)).tokenVersion).toBe(1);

    await repairDatabase();
    const healed = await waitFor('the kept token set to be written', async () => {
      const c = await rig.connector(created.label);
      return c.tokenVersion === 2 ? c : undefined;
    });
    expect(healed.status).toBe('active');
    expect(healed.lastRefreshedAt).not.toBeNull();
    expect(rig.tokens.open(healed).refreshToken).not.toBe(rig.tokens.open(created).refreshToken);
    await pendingDropped(pendingKey);
    // One refresh at the provider in all; it never saw the rotated-away refresh token again.
    const after = await refreshCounts(oidc, clientId);
    expect({ refreshes: after.refreshes - before.refreshes, invalidGrant: after.invalidGrant - before.invalidGrant }).toEqual({ refreshes: 1, invalidGrant: 0 });
    // And the stored token set is the live one: its access token is active at the provider.
    expect((await oidc.introspect(rig.tokens.open(healed).accessToken as string, { clientId, clientSecret: 'dl-secret-9931' })).active).toBe(true);
    // The next refresh uses the new refresh token successfully.
    await refreshNow(healed);
    await waitFor('the next refresh', async () => ((await rig.connector(created.label)).tokenVersion === 3 ? true : undefined));
    expect((await refreshCounts(oidc, clientId)).invalidGrant).toBe(before.invalidGrant);
    // Failures were logged, never a token or the client secret.
    const logged = logs.text();
    expect(logged).toContain('they are kept for the next attempt');
    for (const value of [...Object.values(rig.tokens.open(created)), ...Object.values(rig.tokens.open(healed)), 'dl-secret-9931']) {
      expect(logged).not.toContain(value as string);
    }
  });

  it('the database cannot take a write when the refresh is due: the provider is not asked until it can', async () => {
    const created = await rig.signIn(oidc, 'OIDC-DataLoss', `Down_${kind}`);
    const before = await refreshCounts(oidc, clientId);
    const readFailed = 'due connectors could not be read';
    const readFailures = logs.text().split(readFailed).length - 1;
    await breakDatabase('any refresh write');
    await refreshNow(created);
    // SQLite (writes refused): the refresh is tried and fails (tried again within seconds), more than once.
    // PostgreSQL (gone): not even the due connectors can be read. Either way the provider hears nothing.
    await waitFor('two attempts of the refresh, or the due read failing', () => storageErrors(created.id) >= 2 || logs.text().split(readFailed).length - 1 > readFailures || undefined);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await refreshCounts(oidc, clientId)).refreshes).toBe(before.refreshes);
    expect((await rig.connector(created.label)).tokenVersion).toBe(1);

    await repairDatabase();
    await waitFor('the refresh once the database is back', async () => ((await rig.connector(created.label)).tokenVersion === 2 ? true : undefined));
    const after = await refreshCounts(oidc, clientId);
    expect({ refreshes: after.refreshes - before.refreshes, invalidGrant: after.invalidGrant - before.invalidGrant }).toEqual({ refreshes: 1, invalidGrant: 0 });
  });

  it('a kept token set that cannot be opened (another key, damaged) is dropped and the refresh goes on', async () => {
    const created = await rig.signIn(oidc, 'OIDC-DataLoss', `Damaged_${kind}`);
    const before = await refreshCounts(oidc, clientId);
    const pendingKey = new RedisPendingTokenStore(rig.redis, rig.config).key(created.id, created.tokenVersion);
    await rig.redis.set(pendingKey, 'v1.not-a-sealed-value', 'EX', 600);
    // As a refresh that reached the provider leaves it: its version marked started (a refresh looks for a kept set only then).
    await rig.dataSource.getRepository(ConnectorEntity).update({ id: created.id }, { refreshStartedAt: new Date().toISOString() });
    await refreshNow(created);
    await waitFor('the refresh', async () => ((await rig.connector(created.label)).tokenVersion === 2 ? true : undefined));
    await pendingDropped(pendingKey);
    const after = await refreshCounts(oidc, clientId);
    expect({ refreshes: after.refreshes - before.refreshes, invalidGrant: after.invalidGrant - before.invalidGrant }).toEqual({ refreshes: 1, invalidGrant: 0 });
  });
});
