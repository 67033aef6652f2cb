import { randomUUID } from 'node:crypto';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { LogCapture, type OidcTestServer, startOidcTestServer, startRecordingServer, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import { oidcProvider, REDIRECT, refreshCounts, type RefresherRig, startRig, waitFor } from './refresher-rig';

/**
 * An operator's mistake must not cost users their sign-in: invalid_client after a mistyped secret
 * rotation pauses the provider's refreshes (connectors keep status and tokens) until a load fixes
 * the secret, which resumes them at once, with no user action.
 */
describe.each(TEST_DATABASE_KINDS)('a provider that rejects the client credentials, on %s', (kind) => {
  let oidc: OidcTestServer;
  let rig: RefresherRig;
  const clientId = `cr-client-${kind}`;
  const secret = 'cr-right-secret-5150';
  const labels = ['Cred_1', 'Cred_2', 'Cred_3'];
  const logs = new LogCapture();

  beforeAll(async () => {
    oidc = await startOidcTestServer({
      clients: [{ clientId, clientSecret: secret, redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post', rotateRefreshToken: true }],
      accessTokenTtlSeconds: 3600,
    });
    logs.start();
    rig = await startRig(kind);
    await rig.load({ odata: { 'OIDC-Cred': oidcProvider(oidc, clientId, secret) } });
    for (const label of labels) await rig.signIn(oidc, 'OIDC-Cred', label);
    await rig.startRefresher();
  });
  afterAll(async () => {
    logs.stop();
    await rig?.close();
    await oidc?.stop();
  });

  async function refreshAllNow(): Promise<void> {
    for (const label of labels) {
      const c = await rig.connector(label);
      await rig.dataSource.getRepository(ConnectorEntity).update({ id: c.id }, { nextRefreshAt: new Date().toISOString() });
    }
  }

  it('marks the provider credentials_rejected; its connectors keep status and tokens; no further call to the provider; a fixing load resumes them at once', async () => {
    const before = await Promise.all(labels.map((l) => rig.connector(l)));
    // The operator rotates the secret and mistypes it.
    await rig.load({ odata: { 'OIDC-Cred': oidcProvider(oidc, clientId, 'cr-MISTYPED-secret') } });
    const start = await refreshCounts(oidc, clientId);
    await refreshAllNow();

    const provider = await waitFor('the provider to be marked credentials_rejected', async () => {
      const p = await rig.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'OIDC-Cred' });
      return p.state === 'credentials_rejected' ? p : undefined;
    });
    expect(provider).toMatchObject({ state: 'credentials_rejected', rejectedError: 'invalid_client' });
    expect(Date.parse(provider.rejectedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    // Every due connector was tried and each ended as credentials_rejected: not a failed attempt, no retry counted.
    await waitFor('an outcome for each connector', () => before.every((c) => logs.text().includes(`refresh of connector ${c.id}: credentials_rejected`)) || undefined);
    const refused = await refreshCounts(oidc, clientId);
    // At most one refused call per connector (those in flight together), usually one in all.
    expect(refused.invalidClient - start.invalidClient).toBeGreaterThanOrEqual(1);
    expect(refused.refreshes - start.refreshes).toBeLessThanOrEqual(labels.length);
    for (const [i, label] of labels.entries()) {
      const now = await rig.connector(label);
      expect(now).toMatchObject({ status: 'active', tokenVersion: before[i].tokenVersion, accessToken: before[i].accessToken, refreshToken: before[i].refreshToken, refreshAttempts: 0 });
    }
    // Parked (not a failed attempt): off the head of the due range until a load fixes the provider.
    await waitFor('the connectors parked', async () => {
      const all = await Promise.all(labels.map((l) => rig.connector(l)));
      return all.every((c) => c.refreshRetryAt !== null && Date.parse(c.refreshRetryAt) > Date.now() + 600_000) || undefined;
    });

    // Paused: connectors due again (the loop reads what is due several times a second) do not reach the provider.
    await refreshAllNow();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await refreshCounts(oidc, clientId)).refreshes).toBe(refused.refreshes);

    // The operator loads the right secret: every connector refreshes now.
    const fixedAt = Date.now();
    await rig.load({ odata: { 'OIDC-Cred': oidcProvider(oidc, clientId, secret) } });
    await waitFor('every connector to refresh', async () => {
      const all = await Promise.all(labels.map((l) => rig.connector(l)));
      return all.every((c, i) => c.tokenVersion === before[i].tokenVersion + 1) || undefined;
    });
    console.log(`${kind}: refreshes resumed ${Date.now() - fixedAt} ms after the fixing load`);
    expect(await rig.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'OIDC-Cred' })).toMatchObject({ state: 'ok', rejectedAt: null, rejectedError: null });
    for (const label of labels) expect(await rig.connector(label)).toMatchObject({ status: 'active', lastError: null, refreshAttempts: 0, refreshRetryAt: null });
    const end = await refreshCounts(oidc, clientId);
    expect(end.invalidGrant).toBe(0);
    expect(end.refreshes - refused.refreshes).toBe(labels.length);
    // The operator is told which provider and why, never with a secret or a token.
    const logged = logs.text();
    expect(logged).toContain("provider odata/OIDC-Cred refused Flow's client credentials (invalid_client)");
    for (const value of ['cr-MISTYPED-secret', secret, ...before.flatMap((c) => Object.values(rig.tokens.open(c)))]) expect(logged).not.toContain(value as string);
  });
});

describe('a token answer with no expires_in', () => {
  it('is stored with an unknown expiry and never refreshed again (provider mocked: oidc-provider always sends expires_in)', async () => {
    const rig = await startRig('sqlite');
    const provider = await startRecordingServer(() => ({ body: { access_token: 'at-no-expiry', token_type: 'Bearer', refresh_token: 'rt-no-expiry-2' } }));
    try {
      await rig.load({ odata: { 'No-Expiry': { CLIENT_ID: 'ne', CLIENT_SECRET: 'ne-secret', AUTH_URL: `${provider.url}/authorize`, TOKEN_URL: `${provider.url}/token` } } });
      const p = await rig.dataSource.getRepository(ProviderEntity).findOneByOrFail({ name: 'No-Expiry' });
      const now = new Date().toISOString();
      // A connector whose token expires in a minute: due now.
      const id = randomUUID();
      const store = new ConnectorTokenStore(rig.box, rig.config);
      const connector = Object.assign(new ConnectorEntity(), {
        id, label: 'No_Expiry', providerId: p.id, type: 'odata', providerName: 'No-Expiry', owner: 'alice', status: 'active',
        ...store.columns(id, { accessToken: 'at-old', refreshToken: 'rt-old', tokenType: 'Bearer', expiresAt: null, metadata: {} }, null), scope: null,
        expiresAt: new Date(Date.now() + 60_000).toISOString(), nextRefreshAt: now, params: '{}', metadata: '{}', lastError: null, tokenVersion: 1, createdAt: now, updatedAt: now,
      });
      await rig.dataSource.getRepository(ConnectorEntity).insert(connector);
      await rig.startRefresher();

      const refreshed = await waitFor('the refresh', async () => {
        const c = await rig.connector('No_Expiry');
        return c.tokenVersion === 2 ? c : undefined;
      });
      expect(refreshed).toMatchObject({ status: 'active', expiresAt: null, nextRefreshAt: null });
      expect(store.open(refreshed).accessToken).toBe('at-no-expiry');
      // Several seconds of the loop's reads later, still one call to the provider.
      await new Promise((r) => setTimeout(r, 3500));
      expect(provider.requests).toHaveLength(1);
      expect((await rig.connector('No_Expiry')).tokenVersion).toBe(2);
    } finally {
      await rig.close();
      await provider.stop();
    }
  });
});
