import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseSettings } from '@flow-oauth/config';
import type { DataSourceOptions } from 'typeorm';
import { ConnectorEntity } from './entities/connector.entity';
import { MetaEntity } from './entities/meta.entity';
import { ProviderEntity } from './entities/provider.entity';
import { UserEntity } from './entities/user.entity';
import { InitialSchema1795766400000 } from './migrations/1795766400000-InitialSchema';
import { RefreshSchedule1796100000000 } from './migrations/1796100000000-RefreshSchedule';

export const FLOW_ENTITIES = [ProviderEntity, ConnectorEntity, UserEntity, MetaEntity];
export const FLOW_MIGRATIONS = [InitialSchema1795766400000, RefreshSchedule1796100000000];

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
    // Three processes share the file: wait for a writer instead of failing with SQLITE_BUSY.
    timeout: 10_000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
