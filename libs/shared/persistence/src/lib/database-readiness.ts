import { Logger } from '@nestjs/common';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import type { DataSource } from 'typeorm';
import { SQLITE_BUSY_TIMEOUT_MS } from './data-source-options';
import { MetaEntity } from './entities/meta.entity';
import { bindLegacySealedValues, CANARY_KEY, UnreadableSealedValuesError } from './sealed-values';

const CANARY_TEXT = 'flow-oauth encryption canary';
const CANARY_PLACE: SealedPlace = { table: 'flow_meta', column: 'value', row: CANARY_KEY };

/** Start-up stops with this: the database is not usable by this process as configured. */
export class DatabaseNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseNotReadyError';
  }
}

/** The database was sealed with another FLOW_ENCRYPTION_KEY: restarting cannot help. */
export class EncryptionKeyMismatchError extends DatabaseNotReadyError {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyMismatchError';
  }
}

export interface ReadinessOptions {
  /** Only one process (config-loader) runs migrations; the others wait for them. */
  runMigrations: boolean;
  waitForMigrationsMs?: number;
}

/**
 * Brings the schema up to date (or waits for the process that does), then checks the encryption
 * key. The migrating process also binds the values of a v1 database to their rows, once. On
 * SQLite, writes then wait only briefly for another connection's lock (SQLITE_BUSY_TIMEOUT_MS).
 */
export async function prepareDatabase(dataSource: DataSource, box: SecretBox, options: ReadinessOptions): Promise<void> {
  await readySchema(dataSource, box, options);
  if (dataSource.options.type === 'better-sqlite3') await dataSource.query(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
}

async function readySchema(dataSource: DataSource, box: SecretBox, options: ReadinessOptions): Promise<void> {
  if (options.runMigrations) {
    await dataSource.runMigrations({ transaction: 'each' });
    const canary = await verifyEncryptionKey(dataSource, box);
    if (canary.format === 'v1') await bindLegacyValues(dataSource, box);
    else if (canary.keyId !== box.keyId) {
      new Logger('EncryptionKey').warn(`this database's key check is sealed with an old key (key id ${canary.keyId}); finish the rotation: npm run flow-oauth -- rotate-key`);
    }
    return;
  }
  const deadline = Date.now() + (options.waitForMigrationsMs ?? 60_000);
  // A v1 canary means config-loader has not bound the v1 values yet: they would all be refused.
  while (!(await migrationsApplied(dataSource)) || (await canaryFormat(dataSource)) === 'v1') {
    if (Date.now() > deadline) {
      throw new DatabaseNotReadyError('the database schema is not up to date; start config-loader, which runs the migrations (and binds the sealed values of a previous release)');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await verifyEncryptionKey(dataSource, box);
}

/**
 * A wrong FLOW_ENCRYPTION_KEY must stop start-up before anything is written. The first process to
 * start on an empty database stores a sealed canary; every later start must be able to open it
 * with some key of the ring (FLOW_ENCRYPTION_KEY or one of FLOW_ENCRYPTION_OLD_KEYS).
 */
export async function verifyEncryptionKey(dataSource: DataSource, box: SecretBox): Promise<{ format: 'v1' | 'v2'; keyId: string }> {
  const repo = dataSource.getRepository(MetaEntity);
  let canary = await repo.findOneBy({ key: CANARY_KEY });
  if (!canary) {
    try {
      await repo.insert({ key: CANARY_KEY, value: box.seal(CANARY_TEXT, CANARY_PLACE) });
    } catch {
      // Another process stored it first; fall through and check theirs.
    }
    canary = await repo.findOneBy({ key: CANARY_KEY });
  }
  if (!canary) throw new DatabaseNotReadyError('could not record the encryption key check in flow_meta');
  const envelope = SecretBox.inspect(canary.value);
  let opened: string;
  try {
    // A v1 canary (a database of the previous release) is only checked here, never accepted as a value.
    opened = envelope?.format === 'v1' ? box.open(box.bindLegacy(canary.value, CANARY_PLACE), CANARY_PLACE) : box.open(canary.value, CANARY_PLACE);
  } catch (error) {
    throw new EncryptionKeyMismatchError(
      `FLOW_ENCRYPTION_KEY does not match the key that encrypted this database's secrets, nor does any key of FLOW_ENCRYPTION_OLD_KEYS (${(error as Error).message}). ` +
        'Start with the original key (or list it in FLOW_ENCRYPTION_OLD_KEYS); nothing was changed.',
    );
  }
  if (opened !== CANARY_TEXT || !envelope) throw new DatabaseNotReadyError('the encryption key check in flow_meta is corrupt');
  return envelope;
}

/**
 * Binds the values of a v1 database; a value no key of the ring opens stops start-up like a wrong
 * key. It runs while the canary is v1, and the canary is bound in the same transaction, so it runs
 * once: a v1 value planted later (copied from an old backup into another row) stays refused
 * instead of being bound to the row it was planted in.
 */
async function bindLegacyValues(dataSource: DataSource, box: SecretBox): Promise<void> {
  try {
    await bindLegacySealedValues(dataSource, box);
  } catch (error) {
    if (error instanceof UnreadableSealedValuesError) throw new EncryptionKeyMismatchError(error.message);
    throw error;
  }
}

/** The format of the stored canary, read without writing anything. */
async function canaryFormat(dataSource: DataSource): Promise<'v1' | 'v2' | undefined> {
  const canary = await dataSource.getRepository(MetaEntity).findOneBy({ key: CANARY_KEY });
  return canary ? SecretBox.inspect(canary.value)?.format : undefined;
}

/**
 * Whether every migration this build knows has run, read without writing anything (TypeORM's own
 * check creates the migrations table, which only the migrating process may do).
 */
async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable('flow_migrations'))) return false;
    const rows = (await runner.query('SELECT name FROM flow_migrations')) as Array<{ name: string }>;
    const done = new Set(rows.map((r) => r.name));
    return dataSource.migrations.every((m) => m.name !== undefined && done.has(m.name));
  } finally {
    await runner.release();
  }
}
