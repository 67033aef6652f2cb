import { randomBytes } from 'node:crypto';
import { buildDataSourceOptions, EncryptionKeyMismatchError, prepareDatabase } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { ConnectorTokenStore } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';
import { b64, countByKeyId, downgradeToV1, expectTokens, insertConnectors, providerFile, providerReaderOf, sql, storedValues } from './sealed-values.fixture';

describe.each(TEST_DATABASE_KINDS)('a database of the previous release (v1, unbound values) on %s', (kind) => {
  const key = randomBytes(32);
  const keyId = SecretBox.keyIdOf(key);
  let db: TestDatabase;
  let loader: RunningConfigLoader | undefined;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await loader?.stop();
    loader = undefined;
    await db.drop();
  });

  /** Every row of every sealed table, as text: what a refused start must leave untouched. */
  async function snapshot(ds: DataSource): Promise<string> {
    return JSON.stringify(await storedValues(ds));
  }

  it('config-loader binds every value to its row once, at start-up; a wrong key or a waiting process changes nothing first', async () => {
    // The database as the previous release left it: providers, connectors, canary, all v1.
    loader = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(key) }, { database: db });
    const { file } = providerFile();
    expect((await loader.call('POST', '/api/oauth-configurations', file)).status).toBe(200);
    const tokens = await insertConnectors(loader.dataSource, loader.app.get(SecretBox), 2);
    await loader.stop();
    loader = undefined;
    const direct = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    try {
      await downgradeToV1(kind, direct, new SecretBox(key), key);
      const total = 3 + 3 * 2 * 2 + 1;
      expect(await countByKeyId(direct)).toEqual({ [`v1:${keyId}`]: total });
      const v1State = await snapshot(direct);

      // flow-oauth-server and token-refresher wait for config-loader: they would refuse every v1 value.
      await expect(prepareDatabase(direct, new SecretBox(key), { runMigrations: false, waitForMigrationsMs: 300 })).rejects.toThrow('start config-loader');
      // A wrong key stops config-loader before it binds anything.
      await expect(prepareDatabase(direct, new SecretBox(randomBytes(32)), { runMigrations: true })).rejects.toThrow(EncryptionKeyMismatchError);
      expect(await snapshot(direct)).toBe(v1State);

      // The upgrade: config-loader starts with the same key.
      loader = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(key) }, { database: db });
      expect(await countByKeyId(direct)).toEqual({ [`v2:${keyId}`]: total });
      const secrets = Object.fromEntries((await providerReaderOf(loader.app).all()).map((p) => [p.name, p.secrets]));
      expect(secrets).toEqual({
        'Gmail-1': { CLIENT_SECRET: file['google_gmail']['Gmail-1']['CLIENT_SECRET'] },
        'Slack-1': { CLIENT_SECRET: file['slack']['Slack-1']['CLIENT_SECRET'] },
        'Trello-1': { CONSUMER_SECRET: file['trello']['Trello-1']['CONSUMER_SECRET'] },
      });
      await expectTokens(direct, new SecretBox(key), tokens);
      // The other processes start now.
      await expect(prepareDatabase(direct, new SecretBox(key), { runMigrations: false, waitForMigrationsMs: 300 })).resolves.toBeUndefined();

      // Idempotent: the next start binds nothing again.
      const bound = await snapshot(direct);
      await loader.stop();
      loader = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(key) }, { database: db });
      expect(await snapshot(direct)).toBe(bound);
    } finally {
      await direct.destroy();
    }
  });

  it('after the binding, a v1 value copied from an old backup into another row is refused, and no later start binds it', async () => {
    loader = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(key) }, { database: db });
    expect((await loader.call('POST', '/api/oauth-configurations', providerFile().file)).status).toBe(200);
    const tokens = await insertConnectors(loader.dataSource, loader.app.get(SecretBox), 1);
    await loader.stop();
    loader = undefined;
    const direct = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    try {
      await downgradeToV1(kind, direct, new SecretBox(key), key);
      const [victim, target] = [...tokens.entries()].filter(([, t]) => t.accessToken).map(([id]) => id);
      const [backup] = await direct.query(sql(kind, 'SELECT access_token FROM connectors WHERE id = ?'), [victim]);

      loader = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(key) }, { database: db });
      await direct.query(sql(kind, 'UPDATE connectors SET access_token = ? WHERE id = ?'), [backup.access_token, target]);
      const read = async () => new ConnectorTokenStore(new SecretBox(key), { refreshMarginSeconds: 300 }).open((await direct.query(sql(kind, 'SELECT id, access_token AS "accessToken", refresh_token AS "refreshToken" FROM connectors WHERE id = ?'), [target]))[0]);
      await expect(read()).rejects.toThrow('unbound v1 format');
      await expect(read()).rejects.not.toThrow(tokens.get(victim)?.accessToken as string);

      await loader.stop();
      loader = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(key) }, { database: db });
      await expect(read()).rejects.toThrow('unbound v1 format');
      // The rotation refuses it too, naming its place, rather than binding it where it was planted.
      const rotation = await loader.call('POST', '/api/encryption-key/rotation');
      expect(rotation.status).toBe(409);
      expect(rotation.json.message).toContain(`connectors.access_token.${target}`);
    } finally {
      await direct.destroy();
    }
  });
});
