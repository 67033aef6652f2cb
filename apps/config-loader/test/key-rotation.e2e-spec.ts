import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildDataSourceOptions, EncryptionKeyMismatchError, prepareDatabase } from '@flow-oauth/persistence';
import { SecretBox, SecretDecryptionError } from '@flow-oauth/secrets';
import { REDIS } from '@flow-oauth/redis';
import { createTestDatabase, LogCapture, TEST_DATABASE_KINDS, type TestDatabase, testRedisPrefix } from '@flow-oauth/testing';
import { ConnectorTokenStore, type PendingTokenSet, RedisPendingTokenStore } from '@flow-oauth/token-refresh';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';
import { b64, countByKeyId, expectTokens, insertConnectors, providerFile, providerReaderOf, sql, storedValues } from './sealed-values.fixture';

const CLI = path.resolve(__dirname, '..', '..', '..', 'tools', 'flow-oauth-cli.js');

/** The operator CLI as a child process (async: the server answering it runs in this process). */
async function cli(loader: RunningConfigLoader, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args, '--url', loader.url, '--key', loader.config.adminKey], { env: { PATH: process.env['PATH'] } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe.each(TEST_DATABASE_KINDS)('encryption key rotation on %s', (kind) => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const strangerKey = randomBytes(32);
  const [oldId, newId] = [SecretBox.keyIdOf(oldKey), SecretBox.keyIdOf(newKey)];
  const logs = new LogCapture();
  // Everything a person could see: answers and CLI output (the logs are captured separately).
  const seen: string[] = [];
  const secrets: string[] = [];
  let db: TestDatabase;
  let loader: RunningConfigLoader | undefined;

  const start = async (env: Record<string, string>) => {
    loader = await startConfigLoader(kind, env, { database: db });
    return loader;
  };
  const stop = async () => {
    await loader?.stop();
    loader = undefined;
  };

  beforeAll(() => logs.start());
  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await stop();
    await db.drop();
  });
  afterAll(() => {
    logs.stop();
  });

  /** Loads the providers and connectors with the old key; returns the tokens by connector id. */
  async function seedWithOldKey() {
    const running = await start({ FLOW_ENCRYPTION_KEY: b64(oldKey) });
    const { file, secrets: providerSecrets } = providerFile();
    secrets.push(...providerSecrets);
    expect((await running.call('POST', '/api/oauth-configurations', file)).status).toBe(200);
    const tokens = await insertConnectors(running.dataSource, running.app.get(SecretBox), 3);
    for (const t of tokens.values()) secrets.push(...[t.accessToken, t.refreshToken].filter((v): v is string => !!v));
    await stop();
    return { file, tokens };
  }

  it('rotate-key re-seals every provider secret, token and the canary in one go; afterwards all open with the new key alone', async () => {
    const { file, tokens } = await seedWithOldKey();
    const total = (await storedValues((await start({ FLOW_ENCRYPTION_KEY: b64(oldKey) })).dataSource)).length;
    await stop();
    // 3 provider secrets, 3 x 3 connectors with 2 tokens each, the canary.
    expect(total).toBe(3 + 18 + 1);

    // Removing the old key before the rotation stops start-up (config-loader's database check, as
    // the app runs it; a Nest app that fails to start leaves its Redis clients to process exit), naming both variables.
    const direct = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    try {
      await expect(prepareDatabase(direct, new SecretBox(newKey), { runMigrations: true })).rejects.toThrow(EncryptionKeyMismatchError);
      await expect(prepareDatabase(direct, new SecretBox(newKey), { runMigrations: true })).rejects.toThrow('FLOW_ENCRYPTION_OLD_KEYS');
    } finally {
      await direct.destroy();
    }

    // Step 1: the new key seals, the old key still opens.
    let running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_ENCRYPTION_OLD_KEYS: b64(oldKey) });
    expect((await providerReaderOf(running.app).all()).map((p) => p.secrets)).toHaveLength(3);
    await expectTokens(running.dataSource, running.app.get(SecretBox), tokens);

    const rotated = await running.call('POST', '/api/encryption-key/rotation');
    seen.push(rotated.text);
    expect(rotated.status).toBe(200);
    expect(rotated.json).toEqual({ keyId: newId, resealed: { providers: 3, tokens: 18, canary: 1 }, before: { [oldId]: total }, after: { [newId]: total }, pendingTokenSets: { resealed: 0, unreadable: 0 } });
    expect(await countByKeyId(running.dataSource)).toEqual({ [`v2:${newId}`]: total });

    // The CLI: a second rotation finds nothing left to do and prints the table.
    const printed = await cli(running, ['rotate-key']);
    seen.push(printed.stdout, printed.stderr);
    expect(printed.code).toBe(0);
    const lines = printed.stdout.split('\n');
    expect(lines[0]).toBe(`Re-sealed with key id ${newId}: 0 provider secrets, 0 tokens, 0 key checks (one transaction).`);
    expect(lines).toContain(`${newId}  ${total}      ${total}     FLOW_ENCRYPTION_KEY`);
    expect(printed.stdout).toContain(`All ${total} stored values use key id ${newId}.`);
    const json = await cli(running, ['rotate-key', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ keyId: newId, resealed: { providers: 0, tokens: 0, canary: 0 }, before: { [newId]: total }, after: { [newId]: total }, pendingTokenSets: { resealed: 0, unreadable: 0 } });
    await stop();

    // Step 2: restart with the new key only; every provider secret and every token opens.
    running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey) });
    const providers = await providerReaderOf(running.app).all();
    const loadedSecrets = Object.fromEntries(providers.map((p) => [p.name, p.secrets]));
    expect(loadedSecrets).toEqual({
      'Gmail-1': { CLIENT_SECRET: file.google_gmail['Gmail-1'].CLIENT_SECRET },
      'Slack-1': { CLIENT_SECRET: file.slack['Slack-1'].CLIENT_SECRET },
      'Trello-1': { CONSUMER_SECRET: file.trello['Trello-1'].CONSUMER_SECRET },
    });
    await expectTokens(running.dataSource, running.app.get(SecretBox), tokens);
    // A load that changes a secret still works on the rotated rows (it opens the stored secrets to plan).
    const changed = { ...file, slack: { 'Slack-1': { CLIENT_ID: 'slack-client', CLIENT_SECRET: 'secret-rotated-by-load' } } };
    secrets.push('secret-rotated-by-load');
    const reload = await running.call('POST', '/api/oauth-configurations', changed);
    seen.push(reload.text);
    expect(reload.json.plan.updated).toEqual([{ type: 'slack', provider: 'Slack-1' }]);
  });

  it('after the rotation, a ciphertext moved to another row or column is refused when read, never opened (and a rotation does not launder it)', async () => {
    const { tokens } = await seedWithOldKey();
    const running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_ENCRYPTION_OLD_KEYS: b64(oldKey) });
    expect((await running.call('POST', '/api/encryption-key/rotation')).status).toBe(200);
    const ds = running.dataSource;
    const store = new ConnectorTokenStore(running.app.get(SecretBox), { refreshMarginSeconds: 300 });
    const [victim, attacker] = [...tokens.entries()].filter(([, t]) => t.accessToken !== null).map(([id]) => id);
    const readRow = async (id: string) => (await ds.query(sql(kind, 'SELECT id, access_token AS "accessToken", refresh_token AS "refreshToken" FROM connectors WHERE id = ?'), [id]))[0];

    // The attacker's connector gets the victim's tokens, by SQL.
    await ds.query(sql(kind, 'UPDATE connectors SET access_token = (SELECT access_token FROM connectors WHERE id = ?), refresh_token = (SELECT refresh_token FROM connectors WHERE id = ?) WHERE id = ?'), [victim, victim, attacker]);
    let refused: unknown;
    try {
      store.open(await readRow(attacker));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SecretDecryptionError);
    expect(String(refused)).toContain(`connectors.access_token.${attacker}`);
    for (const t of Object.values(tokens.get(victim) ?? {})) expect(String(refused)).not.toContain(t as string);
    expect(store.open(await readRow(victim))).toEqual(tokens.get(victim));

    // Its access token copied into the refresh-token column of its own row: refused too.
    await ds.query(sql(kind, 'UPDATE connectors SET refresh_token = access_token WHERE id = ?'), [victim]);
    await expect(readRow(victim).then((row) => store.open(row))).rejects.toThrow(`connectors.refresh_token.${victim}`);

    // One provider's secrets copied onto another provider.
    const [gmail, slack] = (await ds.query("SELECT id FROM providers WHERE name IN ('Gmail-1', 'Slack-1') ORDER BY name")).map((r: { id: string }) => r.id);
    await ds.query(sql(kind, 'UPDATE providers SET secrets = (SELECT secrets FROM providers WHERE id = ?) WHERE id = ?'), [gmail, slack]);
    await expect(providerReaderOf(running.app).findById(slack)).rejects.toThrow(`providers.secrets.${slack}`);
    await expect(providerReaderOf(running.app).findById(gmail)).resolves.toBeDefined();

    // A later rotation leaves values already under the current key alone: it does not re-seal them for their new place.
    const again = await running.call('POST', '/api/encryption-key/rotation');
    expect(again.json.resealed).toEqual({ providers: 0, tokens: 0, canary: 0 });
    await expect(providerReaderOf(running.app).findById(slack)).rejects.toThrow(SecretDecryptionError);
    await expect(readRow(attacker).then((row) => store.open(row))).rejects.toThrow(SecretDecryptionError);
  });

  it('before the rotation, a value moved under the old key makes the rotation refuse, naming its place; nothing changes', async () => {
    await seedWithOldKey();
    const running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_ENCRYPTION_OLD_KEYS: b64(oldKey) });
    const ds = running.dataSource;
    const [gmail, slack] = (await ds.query("SELECT id FROM providers WHERE name IN ('Gmail-1', 'Slack-1') ORDER BY name")).map((r: { id: string }) => r.id);
    await ds.query(sql(kind, 'UPDATE providers SET secrets = (SELECT secrets FROM providers WHERE id = ?) WHERE id = ?'), [gmail, slack]);
    const snapshot = await running.snapshot();

    const answer = await running.call('POST', '/api/encryption-key/rotation');
    seen.push(answer.text);
    expect(answer.status).toBe(409);
    expect(answer.json.error).toBe('sealed_values_unreadable');
    expect(answer.json.message).toContain(`providers.secrets.${slack}`);
    expect(answer.json.message).toContain('another table, column or row');
    expect(answer.json.message).toContain('Nothing was changed');
    expect(answer.json.keyIds).toEqual({ [oldId]: 1 });
    expect(await running.snapshot()).toBe(snapshot);
    expect(await countByKeyId(ds)).toEqual({ [`v2:${oldId}`]: 3 + 18 + 1 });
  });

  it('values sealed by a key not in the ring make the rotation refuse, naming that key id; nothing changes', async () => {
    await seedWithOldKey();
    const running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_ENCRYPTION_OLD_KEYS: b64(oldKey) });
    const [row] = await running.dataSource.query('SELECT id FROM connectors WHERE access_token IS NOT NULL ORDER BY id');
    const stranger = new SecretBox(strangerKey);
    await running.dataSource.query(sql(kind, 'UPDATE connectors SET access_token = ? WHERE id = ?'), [stranger.seal('stranger-token', { table: 'connectors', column: 'access_token', row: row.id }), row.id]);
    const snapshot = await running.snapshot();

    const answer = await running.call('POST', '/api/encryption-key/rotation');
    seen.push(answer.text);
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: 'sealed_values_unreadable', keyIds: { [stranger.keyId]: 1 } });
    expect(answer.json.message).toContain(`key id ${stranger.keyId}`);
    expect(answer.json.message).toContain(`connectors.access_token.${row.id}`);
    expect(await running.snapshot()).toBe(snapshot);

    const printed = await cli(running, ['rotate-key']);
    seen.push(printed.stdout, printed.stderr);
    expect(printed.code).toBe(1);
    expect(printed.stderr).toContain('HTTP 409 sealed_values_unreadable');
    expect(printed.stderr).toContain(stranger.keyId);
    expect(await running.snapshot()).toBe(snapshot);
  });

  it('pending token sets a refresh keeps in Redis are re-sealed by the rotation and open with the new key alone afterwards', async () => {
    await seedWithOldKey();
    // One queue prefix across the restarts, as one deployment has.
    const prefix = testRedisPrefix('rotation-pending');
    const pendingSet = (n: number): PendingTokenSet => ({
      tokens: { accessToken: `pending-access-${n}-${randomBytes(6).toString('hex')}`, tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3600_000), refreshToken: `pending-refresh-${n}-${randomBytes(6).toString('hex')}`, metadata: {} },
      obtainedAt: new Date(),
    });
    const sets = [pendingSet(1), pendingSet(2)];
    for (const set of sets) secrets.push(set.tokens.accessToken, set.tokens.refreshToken as string);
    const [a, b, c] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];

    // Before the rotation: one set sealed with the old key (a refresh before the restart), one with the
    // new key (after it), one with a key the ring does not have.
    let running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_ENCRYPTION_OLD_KEYS: b64(oldKey), FLOW_QUEUE_PREFIX: prefix });
    const redis = running.app.get<Redis>(REDIS);
    const pendingOf = (app: RunningConfigLoader) => new RedisPendingTokenStore(app.app.get<Redis>(REDIS), app.config);
    const store = (box: SecretBox) => new ConnectorTokenStore(box, { refreshMarginSeconds: 300 });
    await pendingOf(running).put(a, 4, store(new SecretBox(oldKey)).sealPending(a, 4, sets[0]));
    await pendingOf(running).put(b, 7, store(new SecretBox(newKey)).sealPending(b, 7, sets[1]));
    const strangers = store(new SecretBox(strangerKey)).sealPending(c, 1, pendingSet(3));
    await pendingOf(running).put(c, 1, strangers);
    const ttlBefore = await redis.ttl(pendingOf(running).key(a, 4));
    const currentBefore = await pendingOf(running).get(b, 7);

    const rotated = await running.call('POST', '/api/encryption-key/rotation');
    seen.push(rotated.text);
    expect(rotated.status).toBe(200);
    expect(rotated.json.pendingTokenSets).toEqual({ resealed: 1, unreadable: 1 });
    expect(SecretBox.keyIdOfSealed((await pendingOf(running).get(a, 4)) as string)).toBe(newId);
    // Already under the new key: untouched; unreadable: left as it was; the TTL is kept.
    expect(await pendingOf(running).get(b, 7)).toBe(currentBefore);
    expect(await pendingOf(running).get(c, 1)).toBe(strangers);
    const ttlAfter = await redis.ttl(pendingOf(running).key(a, 4));
    expect(ttlAfter).toBeGreaterThan(0);
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
    await stop();

    // The old key removed: both refreshes' token sets still open, intact.
    running = await start({ FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_QUEUE_PREFIX: prefix });
    const newOnly = store(running.app.get(SecretBox));
    const opened = [newOnly.openPending(a, 4, (await pendingOf(running).get(a, 4)) as string), newOnly.openPending(b, 7, (await pendingOf(running).get(b, 7)) as string)];
    expect(opened.map((o) => [o.tokens.accessToken, o.tokens.refreshToken])).toEqual(sets.map((s) => [s.tokens.accessToken, s.tokens.refreshToken]));
    const leftovers = await running.app.get<Redis>(REDIS).keys(`${prefix}:*`);
    if (leftovers.length > 0) await running.app.get<Redis>(REDIS).del(...leftovers);
  });

  it('no key, secret or token reaches a log line, an answer or the CLI output', () => {
    expect(secrets.length).toBeGreaterThan(20);
    const keys = [oldKey, newKey, strangerKey].flatMap((k) => [k.toString('base64'), k.toString('hex'), k.toString('base64url')]);
    const haystack = `${logs.text()}\n${seen.join('\n')}`;
    expect(haystack).toContain(newId);
    for (const value of [...secrets, ...keys, 'stranger-token']) expect(haystack).not.toContain(value);
  });
});
