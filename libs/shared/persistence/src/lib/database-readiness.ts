import type { SecretBox } from '@flow-oauth/secrets';
import type { DataSource } from 'typeorm';
import { MetaEntity } from './entities/meta.entity';

const CANARY_KEY = 'encryption.canary';
const CANARY_TEXT = 'flow-oauth encryption canary';

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

/** Brings the schema up to date (or waits for the process that does), then checks the encryption key. */
export async function prepareDatabase(dataSource: DataSource, box: SecretBox, options: ReadinessOptions): Promise<void> {
  if (options.runMigrations) {
    await dataSource.runMigrations({ transaction: 'each' });
  } else {
    const deadline = Date.now() + (options.waitForMigrationsMs ?? 60_000);
    while (!(await migrationsApplied(dataSource))) {
      if (Date.now() > deadline) {
        throw new DatabaseNotReadyError('the database schema is not up to date; start config-loader, which runs the migrations');
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  await verifyEncryptionKey(dataSource, box);
}

/**
 * A wrong FLOW_ENCRYPTION_KEY must stop start-up before anything is written. The first process to
 * start on an empty database stores a sealed canary; every later start must be able to open it.
 */
export async function verifyEncryptionKey(dataSource: DataSource, box: SecretBox): Promise<void> {
  const repo = dataSource.getRepository(MetaEntity);
  let canary = await repo.findOneBy({ key: CANARY_KEY });
  if (!canary) {
    try {
      await repo.insert({ key: CANARY_KEY, value: box.seal(CANARY_TEXT) });
    } catch {
      // Another process stored it first; fall through and check theirs.
    }
    canary = await repo.findOneBy({ key: CANARY_KEY });
  }
  if (!canary) throw new DatabaseNotReadyError('could not record the encryption key check in flow_meta');
  let opened: string;
  try {
    opened = box.open(canary.value);
  } catch (error) {
    throw new EncryptionKeyMismatchError(
      `FLOW_ENCRYPTION_KEY does not match the key that encrypted this database's secrets (${(error as Error).message}). ` +
        'Start with the original key; nothing was changed.',
    );
  }
  if (opened !== CANARY_TEXT) throw new DatabaseNotReadyError('the encryption key check in flow_meta is corrupt');
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
