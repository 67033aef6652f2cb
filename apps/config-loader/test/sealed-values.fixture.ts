import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { ConnectorEntity, nowIso, sqlDialectOf } from '@flow-oauth/persistence';
import { ProviderReader, providerSecretsOf } from '@flow-oauth/provider-reader';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import type { TestDatabaseKind } from '@flow-oauth/testing';
import { ConnectorTokenStore, type OpenedTokens } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';

// Sealed values at rest, as the key-rotation suites create, read and check them.

/** Loaded providers read as flow-oauth-server and token-refresher read them (config-loader itself builds no ProviderReader). */
export function providerReaderOf(app: { get<T>(type: abstract new (...args: never[]) => T): T }): ProviderReader {
  return new ProviderReader(app.get(DataSource), app.get(SecretBox));
}

export const b64 = (key: Buffer) => key.toString('base64');

/** `?` placeholders in the dialect of the database. */
export function sql(kind: TestDatabaseKind, text: string): string {
  return sqlDialectOf(kind).sql(text);
}

/** A configuration file of three providers (OAuth 2 and OAuth 1.0a) with fresh secrets. */
export function providerFile(): { file: Record<string, Record<string, Record<string, string>>>; secrets: string[] } {
  const s = () => `secret-${randomBytes(8).toString('hex')}`;
  const file: Record<string, Record<string, Record<string, string>>> = {
    google_gmail: { 'Gmail-1': { CLIENT_ID: 'gmail-client', CLIENT_SECRET: s() } },
    slack: { 'Slack-1': { CLIENT_ID: 'slack-client', CLIENT_SECRET: s() } },
    trello: { 'Trello-1': { CONSUMER_KEY: 'trello-key', CONSUMER_SECRET: s() } },
  };
  const secrets = Object.values(file).flatMap((providers) => Object.values(providers).flatMap((p) => Object.values(p).filter((v) => v.startsWith('secret-'))));
  return { file, secrets };
}

/**
 * Inserts `perProvider` connectors for each provider, tokens sealed through ConnectorTokenStore
 * (bound to their rows) with `box`, plus one purged connector without tokens. Returns the tokens by connector id.
 */
export async function insertConnectors(dataSource: DataSource, box: SecretBox, perProvider: number): Promise<Map<string, OpenedTokens>> {
  const store = new ConnectorTokenStore(box, { refreshMarginSeconds: 300 });
  const providers = (await dataSource.query('SELECT id, type, name FROM providers ORDER BY name')) as Array<{ id: string; type: string; name: string }>;
  const expected = new Map<string, OpenedTokens>();
  const rows: ConnectorEntity[] = [];
  const now = nowIso();
  for (const provider of providers) {
    for (let i = 0; i <= perProvider; i++) {
      const id = randomUUID();
      const purged = i === perProvider;
      const tokens = purged ? { accessToken: null, refreshToken: null } : { accessToken: `at-${randomBytes(10).toString('hex')}`, refreshToken: `rt-${randomBytes(10).toString('hex')}` };
      const columns = tokens.accessToken
        ? store.columns(id, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken ?? undefined, tokenType: provider.type === 'trello' ? 'OAuth1' : 'Bearer', expiresAt: null, metadata: {} }, null)
        : { accessToken: null, refreshToken: null, tokenType: null, scope: null, expiresAt: null, status: 'needs_reauth' as const, lastError: 'purged', updatedAt: now };
      rows.push(
        Object.assign(new ConnectorEntity(), {
          id,
          label: `c_${randomBytes(6).toString('hex')}`,
          providerId: provider.id,
          type: provider.type,
          providerName: provider.name,
          owner: 'alice',
          params: '{}',
          metadata: '{}',
          tokenVersion: 1,
          createdAt: now,
          ...columns,
        }),
      );
      expected.set(id, tokens);
    }
  }
  for (let i = 0; i < rows.length; i += 500) await dataSource.getRepository(ConnectorEntity).insert(rows.slice(i, i + 500));
  return expected;
}

export interface StoredValue {
  place: SealedPlace;
  sealed: string;
}

/** Every sealed value in the database: provider secrets, connector tokens, the canary. */
export async function storedValues(dataSource: DataSource): Promise<StoredValue[]> {
  const providers = (await dataSource.query('SELECT id, secrets FROM providers')) as Array<{ id: string; secrets: string }>;
  const connectors = (await dataSource.query('SELECT id, access_token, refresh_token FROM connectors')) as Array<{ id: string; access_token: string | null; refresh_token: string | null }>;
  const meta = (await dataSource.query(`SELECT "key", value FROM flow_meta WHERE "key" = 'encryption.canary'`)) as Array<{ key: string; value: string }>;
  return [
    ...providers.map((p) => ({ place: providerSecretsOf(p.id), sealed: p.secrets })),
    ...connectors.flatMap((c) => [
      ...(c.access_token ? [{ place: { table: 'connectors', column: 'access_token', row: c.id } as SealedPlace, sealed: c.access_token }] : []),
      ...(c.refresh_token ? [{ place: { table: 'connectors', column: 'refresh_token', row: c.id } as SealedPlace, sealed: c.refresh_token }] : []),
    ]),
    ...meta.map((m) => ({ place: { table: 'flow_meta', column: 'value', row: m.key } as SealedPlace, sealed: m.value })),
  ];
}

/** Stored values by the key id (and format) their envelope names. */
export async function countByKeyId(dataSource: DataSource): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const value of await storedValues(dataSource)) {
    const envelope = SecretBox.inspect(value.sealed);
    const name = envelope ? `${envelope.format}:${envelope.keyId}` : 'unknown';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** Opens every token with `box` (through ConnectorTokenStore) and checks it is the one sealed. */
export async function expectTokens(dataSource: DataSource, box: SecretBox, expected: Map<string, OpenedTokens>): Promise<void> {
  const store = new ConnectorTokenStore(box, { refreshMarginSeconds: 300 });
  const rows = (await dataSource.query('SELECT id, access_token AS "accessToken", refresh_token AS "refreshToken" FROM connectors')) as Array<
    Pick<ConnectorEntity, 'id' | 'accessToken' | 'refreshToken'>
  >;
  expect(rows).toHaveLength(expected.size);
  for (const row of rows) expect(store.open(row)).toEqual(expected.get(row.id));
}

/** The previous release's envelope (v1: additional data is the key id only), as its SecretBox wrote it. */
export function sealV1(key: Buffer, plaintext: string): string {
  const keyId = SecretBox.keyIdOf(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** Rewrites every sealed value of the database as the previous release would have stored it (v1, unbound). */
export async function downgradeToV1(kind: TestDatabaseKind, dataSource: DataSource, box: SecretBox, key: Buffer): Promise<void> {
  for (const value of await storedValues(dataSource)) {
    const plaintext = box.open(value.sealed, value.place);
    const v1 = sealV1(key, plaintext);
    const { table, column, row } = value.place;
    const keyColumn = table === 'flow_meta' ? '"key"' : 'id';
    await dataSource.query(sql(kind, `UPDATE ${table} SET ${column} = ? WHERE ${keyColumn} = ?`), [v1, row]);
  }
}
