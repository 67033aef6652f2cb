import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseSettings } from '@flow-oauth/config';
import type { DataSourceOptions } from 'typeorm';
import { AuditEntryEntity } from './entities/audit-entry.entity';
import { ConnectorEntity } from './entities/connector.entity';
import { MetaEntity } from './entities/meta.entity';
import { ProviderEntity } from './entities/provider.entity';
import { UserEntity } from './entities/user.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { InitialSchema1795766400000 } from './migrations/1795766400000-InitialSchema';
import { RefreshSchedule1796100000000 } from './migrations/1796100000000-RefreshSchedule';
import { ConnectorHealth1796200000000 } from './migrations/1796200000000-ConnectorHealth';
import { RefreshRetries1796300000000 } from './migrations/1796300000000-RefreshRetries';
import { RefreshClaims1796400000000 } from './migrations/1796400000000-RefreshClaims';

export const FLOW_ENTITIES = [ProviderEntity, ConnectorEntity, UserEntity, MetaEntity, AuditEntryEntity, WebhookDeliveryEntity];
export const FLOW_MIGRATIONS = [InitialSchema1795766400000, RefreshSchedule1796100000000, ConnectorHealth1796200000000, RefreshRetries1796300000000, RefreshClaims1796400000000];

/**
 * How long a SQLite write waits for another connection's write lock before it fails with
 * SQLITE_BUSY, once the process is running. better-sqlite3 waits synchronously: the whole process
 * (its HTTP server, its Redis lock watchdogs, its BullMQ lock renewals) is frozen for as long as it
 * waits, so the wait is short and a busy database is treated as unavailable instead: the token API
 * answers 503 (or serves a still-valid token), a refresh is retried within seconds without calling
 * the provider, and a token set the provider already issued waits in the pending store. The three
 * processes' own writes are single statements or short transactions, well within it.
 * Set by prepareDatabase (database-readiness.ts) once the database is ready.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 250;

/**
 * The busy timeout while a process starts: the first start of three processes on a new file (the
 * switch to WAL), config-loader's migrations and the others waiting for them may hold the lock for
 * seconds, and nothing is served yet that a wait would freeze.
 */
const SQLITE_START_BUSY_TIMEOUT_MS = 10_000;

/** TypeORM options for the configured database: SQLite file (WAL, shared by the three processes) or PostgreSQL. */
export function buildDataSourceOptions(database: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: FLOW_ENTITIES,
    migrations: FLOW_MIGRATIONS,
    migrationsTableName: 'flow_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    migrationsRun: false,
    logging: false as const,
  };
  if (database.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url,
      connectTimeoutMS: 5000,
      extra: { max: 10, connectionTimeoutMillis: 5000 },
    };
  }
  if (database.file !== ':memory:') fs.mkdirSync(path.dirname(database.file), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.file,
    enableWAL: true,
    timeout: SQLITE_START_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
