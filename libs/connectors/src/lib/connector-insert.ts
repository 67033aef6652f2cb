import { type ConnectorEntity, sqlDialect } from '@flow-oauth/persistence';
import type { DataSource } from 'typeorm';

const COLUMNS: Array<[column: string, field: keyof ConnectorEntity]> = [
  ['id', 'id'],
  ['label', 'label'],
  ['provider_id', 'providerId'],
  ['type', 'type'],
  ['provider_name', 'providerName'],
  ['owner', 'owner'],
  ['status', 'status'],
  ['access_token', 'accessToken'],
  ['refresh_token', 'refreshToken'],
  ['token_type', 'tokenType'],
  ['scope', 'scope'],
  ['expires_at', 'expiresAt'],
  ['next_refresh_at', 'nextRefreshAt'],
  ['params', 'params'],
  ['metadata', 'metadata'],
  ['last_error', 'lastError'],
  ['token_version', 'tokenVersion'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
];

/**
 * Stores a new connector only if its provider still has the settings the sign-in started under,
 * in ONE statement: no transaction (on SQLite TypeORM shares one connection per process, so a
 * transaction would take in other requests' writes) and no gap between check and insert. On
 * PostgreSQL the provider row is read FOR SHARE, so a load changing it either finishes first (and
 * this inserts nothing) or waits and then sees the connector as using it.
 */
export async function insertConnectorIfProviderUnchanged(dataSource: DataSource, connector: ConnectorEntity, fingerprint: string): Promise<boolean> {
  const sql = sqlDialect(dataSource);
  const values = COLUMNS.map(([, field]) => connector[field] ?? null);
  const statement =
    `INSERT INTO connectors (${COLUMNS.map(([c]) => c).join(', ')}) ` +
    `SELECT ${sql.params(COLUMNS.length)} WHERE EXISTS (SELECT 1 FROM providers WHERE id = ${sql.param(COLUMNS.length + 1)} AND fingerprint = ${sql.param(COLUMNS.length + 2)}${sql.lock('share')}) ` +
    'RETURNING id';
  const rows = (await dataSource.query(statement, [...values, connector.providerId, fingerprint])) as unknown[];
  return rows.length === 1;
}
