import { Logger } from '@nestjs/common';
import { describePlace, type SealedPlace, SecretBox, SecretDecryptionError } from '@flow-oauth/secrets';
import type { DataSource, EntityManager } from 'typeorm';
import { type SqlDialect, sqlDialect } from './sql-dialect';
import { runInTransaction } from './transactions';

/** The flow_meta row holding the sealed encryption-key check (see database-readiness.ts). */
export const CANARY_KEY = 'encryption.canary';

/** How many sealed values carry each key id. */
export type KeyIdCounts = Record<string, number>;

/** What a rotation did: values re-sealed, and the values by key id before and after. */
export interface KeyRotationResult {
  keyId: string;
  resealed: { providers: number; tokens: number; canary: number };
  before: KeyIdCounts;
  after: KeyIdCounts;
}

/** Some stored values do not open with the key ring: nothing was changed. Names places and key ids, never a value. */
export class UnreadableSealedValuesError extends Error {
  constructor(
    readonly failures: Array<{ place: string; keyId?: string; reason: string }>,
    during: string,
  ) {
    const byKey = countBy(failures.map((f) => f.keyId ?? 'unknown format'));
    const examples = failures.slice(0, 5).map((f) => f.reason);
    super(
      `${during} refused: ${failures.length} stored value(s) do not open with FLOW_ENCRYPTION_KEY and FLOW_ENCRYPTION_OLD_KEYS ` +
        `(by key id: ${Object.entries(byKey).map(([k, n]) => `${k}: ${n}`).join(', ')}). Nothing was changed. ` +
        `Add the missing key to FLOW_ENCRYPTION_OLD_KEYS and restart, or purge what cannot be opened. First ${examples.length}: ${examples.join('; ')}`,
    );
    this.name = 'UnreadableSealedValuesError';
  }

  /** Failures by the key id their envelope names. */
  get keyIds(): KeyIdCounts {
    return countBy(this.failures.map((f) => f.keyId ?? 'unknown format'));
  }
}

/** Rows written per UPDATE statement (3 parameters a row stays far below both databases' limits). */
const CHUNK = 500;

/**
 * Re-seals every sealed value at rest (provider secrets, connector tokens, the canary) with the
 * current key, in ONE transaction; values already sealed by it are left as they are. Refuses,
 * changing nothing, when any value does not open with the ring (key not in it, v1 left over,
 * moved or altered). Redis-held values (OAuth state, 10 minutes) are not re-sealed: they expire.
 */
export async function rotateSealedValues(dataSource: DataSource, box: SecretBox): Promise<KeyRotationResult> {
  const logger = new Logger('EncryptionKeyRotation');
  const result = await resealInOneTransaction(dataSource, 'The key rotation', logger, (sealed, place) => {
    const envelope = SecretBox.inspect(sealed);
    // A v1 or foreign value is not skipped: reseal refuses it, and so the whole rotation.
    return envelope?.format === 'v2' && envelope.keyId === box.keyId ? undefined : box.reseal(sealed, place);
  });
  const outcome = { keyId: box.keyId, ...result };
  logger.log(
    `key rotation committed: re-sealed ${outcome.resealed.providers} provider secret(s), ${outcome.resealed.tokens} token(s), ${outcome.resealed.canary} canary with key id ${box.keyId}; ` +
      `values by key id now ${JSON.stringify(outcome.after)}`,
  );
  return outcome;
}

/**
 * The one-time migration of a database of the unbound v1 format: every v1 value is sealed again,
 * bound to the place it sits in, in ONE transaction. The canary is bound in it too: the other
 * processes wait while it is v1 (database-readiness.ts), so they start only once everything is bound.
 */
export async function bindLegacySealedValues(dataSource: DataSource, box: SecretBox): Promise<KeyRotationResult['resealed']> {
  const logger = new Logger('EncryptionKeyRotation');
  const { resealed } = await resealInOneTransaction(dataSource, 'Binding the v1 sealed values to their rows', logger, (sealed, place) =>
    SecretBox.inspect(sealed)?.format === 'v1' ? box.bindLegacy(sealed, place) : undefined,
  );
  logger.log(`bound the v1 sealed values to their rows: ${resealed.providers} provider secret(s), ${resealed.tokens} token(s), ${resealed.canary} canary`);
  return resealed;
}

interface SealedValue {
  place: SealedPlace;
  sealed: string;
}

interface StoredSealedValues {
  providers: Array<{ id: string; secrets: SealedValue }>;
  connectors: Array<{ id: string; accessToken: SealedValue | null; refreshToken: SealedValue | null }>;
  canary: SealedValue | null;
}

/** `replace` returns the new envelope, or undefined to leave a value as it is. */
type Replace = (sealed: string, place: SealedPlace) => string | undefined;

/**
 * Why refresh writes made during a rotation are not lost: the rotation keeps every row's
 * token_version, so a refresh guarded by the version it read still writes after it.
 * - PostgreSQL: the providers table is locked EXCLUSIVE first (loads, deletes, purges and new
 *   connectors wait; plain reads go on; one lock taken first cannot deadlock with their row locks),
 *   then the connectors holding tokens FOR UPDATE. A refresh's one-statement UPDATE waits for the
 *   commit, then re-checks its WHERE on the committed row and writes its newly sealed tokens.
 * - SQLite: the first statement is a write, so the transaction holds the database's write lock
 *   before it reads anything (a deferred BEGIN that read first could not upgrade after another
 *   process wrote). Other processes' writes, refreshes included (one autocommit UPDATE outside any
 *   transaction), fail with SQLITE_BUSY after the short busy timeout (data-source-options.ts) and are
 *   tried again after the commit (a refresh keeps its answer pending), guarded by the version they
 *   read. In this process runInTransaction queues it behind other transactions.
 * A kill at any point rolls the whole transaction back: every value stays as it was.
 */
async function resealInOneTransaction(
  dataSource: DataSource,
  during: string,
  logger: Logger,
  replace: Replace,
): Promise<Omit<KeyRotationResult, 'keyId'>> {
  const dialect = sqlDialect(dataSource);
  return runInTransaction(dataSource, async (manager) => {
    if (dialect.kind === 'postgres') await manager.query('LOCK TABLE providers IN EXCLUSIVE MODE');
    else await manager.query('UPDATE flow_meta SET value = value WHERE "key" = ?', [CANARY_KEY]);
    const stored = await readSealedValues(manager, dialect);
    const before = countBy(allValues(stored).map((v) => SecretBox.keyIdOfSealed(v.sealed) ?? 'unknown format'));

    const failures: UnreadableSealedValuesError['failures'] = [];
    const replaced = new Map<SealedValue, string>();
    for (const value of allValues(stored)) {
      try {
        const sealed = replace(value.sealed, value.place);
        if (sealed !== undefined) replaced.set(value, sealed);
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        failures.push({ place: describePlace(value.place), keyId: error.storedKeyId, reason: error.message });
      }
    }
    if (failures.length > 0) throw new UnreadableSealedValuesError(failures, during);

    const now = (value: SealedValue | null): string | null => (value ? (replaced.get(value) ?? value.sealed) : null);
    const isReplaced = (value: SealedValue | null) => value !== null && replaced.has(value);
    const providers = stored.providers.filter((p) => isReplaced(p.secrets)).map((p) => [p.id, now(p.secrets)]);
    const connectors = stored.connectors.filter((c) => isReplaced(c.accessToken) || isReplaced(c.refreshToken)).map((c) => [c.id, now(c.accessToken), now(c.refreshToken)]);
    const canary = stored.canary && isReplaced(stored.canary) ? now(stored.canary) : null;
    const tokens = stored.connectors.reduce((n, c) => n + (isReplaced(c.accessToken) ? 1 : 0) + (isReplaced(c.refreshToken) ? 1 : 0), 0);

    const total = providers.length + connectors.length + (canary ? 1 : 0);
    let done = 0;
    const progress = (rows: number) => {
      done += rows;
      // Only a large rotation says how far it got (it holds the write lock meanwhile).
      if (total > CHUNK) logger.log(`${during}: re-sealed ${done} of ${total} rows (not committed yet)`);
    };
    await updateInChunks(manager, dialect, 'providers', ['secrets'], providers, progress);
    await updateInChunks(manager, dialect, 'connectors', ['access_token', 'refresh_token'], connectors, progress);
    if (canary) await manager.query(dialect.sql('UPDATE flow_meta SET value = ? WHERE "key" = ?'), [canary, CANARY_KEY]);

    const after = countBy(allValues(stored).map((v) => SecretBox.keyIdOfSealed(now(v) as string) ?? 'unknown format'));
    return { resealed: { providers: providers.length, tokens, canary: canary ? 1 : 0 }, before, after };
  });
}

/** Every sealed value at rest, in a fixed order; the connector rows and the canary locked where the database locks rows (PostgreSQL). */
async function readSealedValues(manager: EntityManager, dialect: SqlDialect): Promise<StoredSealedValues> {
  const forUpdate = dialect.lock('update');
  const providers = (await manager.query('SELECT id, secrets FROM providers ORDER BY id')) as Array<{ id: string; secrets: string }>;
  const connectors = (await manager.query(
    `SELECT id, access_token, refresh_token FROM connectors WHERE access_token IS NOT NULL OR refresh_token IS NOT NULL ORDER BY id${forUpdate}`,
  )) as Array<{ id: string; access_token: string | null; refresh_token: string | null }>;
  const [canary] = (await manager.query(`SELECT value FROM flow_meta WHERE "key" = ${dialect.param(1)}${forUpdate}`, [CANARY_KEY])) as Array<{ value: string }>;
  return {
    providers: providers.map((p) => ({ id: p.id, secrets: { place: { table: 'providers', column: 'secrets', row: p.id }, sealed: p.secrets } })),
    connectors: connectors.map((c) => ({
      id: c.id,
      accessToken: c.access_token === null ? null : { place: { table: 'connectors', column: 'access_token', row: c.id }, sealed: c.access_token },
      refreshToken: c.refresh_token === null ? null : { place: { table: 'connectors', column: 'refresh_token', row: c.id }, sealed: c.refresh_token },
    })),
    canary: canary ? { place: { table: 'flow_meta', column: 'value', row: CANARY_KEY }, sealed: canary.value } : null,
  };
}

function allValues(stored: StoredSealedValues): SealedValue[] {
  return [
    ...stored.providers.map((p) => p.secrets),
    ...stored.connectors.flatMap((c) => [c.accessToken, c.refreshToken].filter((v): v is SealedValue => v !== null)),
    ...(stored.canary ? [stored.canary] : []),
  ];
}

/**
 * `UPDATE <table> SET col = v.columnN FROM (VALUES (...), ...) AS v WHERE <table>.id = v.column1`:
 * one statement per CHUNK rows on both databases (SQLite 3.33+ and PostgreSQL name VALUES columns
 * column1, column2, ...), instead of one round trip per row.
 */
async function updateInChunks(
  manager: EntityManager,
  dialect: SqlDialect,
  table: 'providers' | 'connectors',
  columns: string[],
  rows: Array<Array<string | null>>,
  onChunk: (rows: number) => void,
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const width = columns.length + 1;
    const tuples = chunk.map((_, r) => `(${dialect.params(width, r * width + 1)})`);
    const set = columns.map((column, c) => `${column} = v.column${c + 2}`).join(', ');
    await manager.query(`UPDATE ${table} SET ${set} FROM (VALUES ${tuples.join(', ')}) AS v WHERE ${table}.id = v.column1`, chunk.flat());
    onChunk(chunk.length);
  }
}

function countBy(keys: string[]): KeyIdCounts {
  const counts: KeyIdCounts = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
