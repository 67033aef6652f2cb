import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataSourceOptions, ConnectorEntity } from '@flow-oauth/persistence';
import { providerSecretsOf } from '@flow-oauth/provider-reader';
import { SecretBox } from '@flow-oauth/secrets';
import { createTestDatabase, freePort, TEST_DATABASE_KINDS, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@flow-oauth/testing';
import { ConnectorTokenStore, type OpenedTokens } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';
import { startConfigLoader } from './config-loader.harness';
import { b64, countByKeyId, expectTokens, insertConnectors, providerFile } from './sealed-values.fixture';

// config-loader as its own process (the TypeScript source, run the way bench/token-api does), so
// it can be killed with SIGKILL while a rotation is in flight (no shutdown hook, no rollback by
// us), and so this process can write to the database meanwhile as another process does.

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'apps', 'config-loader', 'src', 'main.ts');
const TS_REGISTER = path.join(ROOT, 'bench', 'token-api', 'ts-register.js');
/** Enough rows that the rotation writes many chunks (one progress line each) before it commits. */
const CONNECTORS_PER_PROVIDER = 2000;

interface ChildLoader {
  child: ChildProcess;
  url: string;
  adminKey: string;
  output: () => string;
  /** Resolves with the output once `pattern` appears in it. */
  waitFor(pattern: RegExp, what: string): Promise<void>;
  exited: Promise<number | null>;
}

async function spawnConfigLoader(db: TestDatabase, env: Record<string, string>, dataDir: string, queuePrefix: string): Promise<ChildLoader> {
  const port = await freePort();
  const adminKey = `admin-${randomBytes(16).toString('hex')}`;
  const child = spawn(process.execPath, ['-r', TS_REGISTER, MAIN], {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env['PATH'],
      FLOW_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      FLOW_QUEUE_PREFIX: queuePrefix,
      CONFIG_LOADER_PORT: String(port),
      FLOW_ADMIN_KEY: adminKey,
      FLOW_SERVICE_KEY: `service-${randomBytes(16).toString('hex')}`,
      ...env,
    },
  });
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(output))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message) => message === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`config-loader exited with ${code} before it was ready:\n${output}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    adminKey,
    output: () => output,
    exited,
    waitFor(pattern, what) {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`config-loader exited before ${what}:\n${output.slice(-3000)}`)));
      });
    },
  };
}

describe.each(TEST_DATABASE_KINDS)('a key rotation in config-loader\'s own process on %s', (kind) => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const [oldId, newId] = [SecretBox.keyIdOf(oldKey), SecretBox.keyIdOf(newKey)];
  const ringEnv = { FLOW_ENCRYPTION_KEY: b64(newKey), FLOW_ENCRYPTION_OLD_KEYS: b64(oldKey) };
  let db: TestDatabase;
  let dataDir: string;
  let child: ChildLoader | undefined;
  let direct: DataSource;
  let tokens: Map<string, OpenedTokens>;
  let total: number;
  // A private prefix, as the in-process harness uses; keys left under it harm nothing.
  const queuePrefix = testRedisPrefix('rotate-proc');

  // Providers and ~6,000 connectors sealed with the old key.
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-rotate-proc-'));
    const seeding = await startConfigLoader(kind, { FLOW_ENCRYPTION_KEY: b64(oldKey) }, { database: db });
    expect((await seeding.call('POST', '/api/oauth-configurations', providerFile().file)).status).toBe(200);
    tokens = await insertConnectors(seeding.dataSource, seeding.app.get(SecretBox), CONNECTORS_PER_PROVIDER);
    await seeding.stop();
    direct = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    total = Object.values(await countByKeyId(direct)).reduce((a, b) => a + b, 0);
    expect(await countByKeyId(direct)).toEqual({ [`v2:${oldId}`]: total });
  });
  afterEach(async () => {
    if (child && child.child.exitCode === null) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
    child = undefined;
    await direct.destroy();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The operator restarted config-loader with the new key and the old one, and runs rotate-key. */
  async function startRotation(): Promise<{ answer: Promise<number | string> }> {
    child = await spawnConfigLoader(db, ringEnv, dataDir, queuePrefix);
    const answer = fetch(`${child.url}/api/encryption-key/rotation`, { method: 'POST', headers: { appKey: child.adminKey } }).then(
      (r) => r.status,
      (error: Error) => String(error),
    );
    // The rotation has read every row and written its first chunk, inside its transaction.
    await child.waitFor(/re-sealed \d+ of \d+ rows \(not committed yet\)/, 'the rotation wrote its first rows');
    // Wrapped: an async function returning the promise itself would wait for it.
    return { answer };
  }

  it('killed half-way (kill -9), it leaves every value readable with the key ring, all under one key, and a second rotation completes', async () => {
    const { answer } = await startRotation();
    child?.child.kill('SIGKILL');
    expect(await child?.exited).toBeNull();
    // The request was in flight: it never got an answer.
    expect(await answer).toMatch(/fetch failed/);
    // What the process printed names key ids and counts, never a key or a token.
    const printed = child?.output() ?? '';
    expect(printed).toContain('not committed yet');
    for (const value of [b64(oldKey), b64(newKey), ...[...tokens.values()].slice(0, 50).flatMap((t) => [t.accessToken, t.refreshToken])]) {
      if (value) expect(printed).not.toContain(value);
    }

    // Whole or nothing: every value is under one key (the old one, unless the commit beat the kill).
    const after = await countByKeyId(direct);
    expect(Object.keys(after)).toHaveLength(1);
    expect([`v2:${oldId}`, `v2:${newId}`]).toContain(Object.keys(after)[0]);
    expect(Object.values(after)).toEqual([total]);
    // Everything opens with the ring.
    const ring = new SecretBox(newKey, [oldKey]);
    await expectTokens(direct, ring, tokens);
    const providers = (await direct.query('SELECT id, secrets FROM providers')) as Array<{ id: string; secrets: string }>;
    for (const p of providers) expect(Object.keys(ring.openJson(p.secrets, providerSecretsOf(p.id)))).toHaveLength(1);

    // The second rotation completes, and then the new key alone opens everything.
    const again = await startConfigLoader(kind, ringEnv, { database: db });
    const rotated = await again.call('POST', '/api/encryption-key/rotation');
    await again.stop();
    expect(rotated.status).toBe(200);
    expect(rotated.json.after).toEqual({ [newId]: total });
    expect(rotated.json.before).toEqual(after[`v2:${oldId}`] ? { [oldId]: total } : { [newId]: total });
    await expectTokens(direct, new SecretBox(newKey), tokens);
  });

  it('a refresh written during the rotation (by another process, as token-refresher does) is kept, not overwritten by the re-sealed old token', async () => {
    const { answer } = await startRotation();
    // The connector the rotation writes last (it goes by id), refreshed now by this process's own
    // connection: the rotation has already read its old tokens.
    const last = [...tokens.keys()].filter((id) => tokens.get(id)?.accessToken).sort().pop() as string;
    const connector = await direct.getRepository(ConnectorEntity).findOneByOrFail({ id: last });
    const refreshed = { accessToken: `at-refreshed-${randomBytes(8).toString('hex')}`, refreshToken: `rt-refreshed-${randomBytes(8).toString('hex')}` };
    const store = new ConnectorTokenStore(new SecretBox(newKey, [oldKey]), { refreshMarginSeconds: 300 });
    const written = await store.writeRefreshed(direct.manager, connector, { ...refreshed, tokenType: 'Bearer', expiresAt: null, metadata: {} }, null);
    expect(written.tokenVersion).toBe(2);
    expect(await answer).toBe(200);

    tokens.set(last, refreshed);
    await expectTokens(direct, new SecretBox(newKey), tokens);
    expect(await countByKeyId(direct)).toEqual({ [`v2:${newId}`]: total });
  });
});
