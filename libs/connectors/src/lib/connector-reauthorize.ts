import { ConnectorEntity, nowIso, sqlDialect } from '@flow-oauth/persistence';
import type { DataSource } from 'typeorm';

/** The token columns a reconnect replaces (sealed by ConnectorTokenStore for this connector's row). */
const TOKEN_COLUMNS: Array<[column: string, field: keyof ConnectorEntity]> = [
  ['access_token', 'accessToken'],
  ['refresh_token', 'refreshToken'],
  ['token_type', 'tokenType'],
  ['scope', 'scope'],
  ['expires_at', 'expiresAt'],
  ['next_refresh_at', 'nextRefreshAt'],
  ['metadata', 'metadata'],
  // When the new grant needs its user again, and its first health check (a new grant: no warning sent yet).
  ['reauth_due_at', 'reauthDueAt'],
  ['reauth_due_basis', 'reauthDueBasis'],
  ['next_check_at', 'nextCheckAt'],
];

/** What must still hold for a reconnect's tokens to be written: the same connector, owner and provider settings. */
export interface ReconnectGuard {
  id: string;
  owner: string;
  providerId: string;
  /** The provider's settings fingerprint when the sign-in started. */
  fingerprint: string;
}

/**
 * Replaces a connector's tokens with a new sign-in's, in ONE statement: the old tokens (if any) go,
 * the status is `active` again, and token_version moves on (a refresh that read the old version can
 * no longer write). Only while the connector still exists with that owner and provider, and the
 * provider still has the settings the sign-in started under (read FOR SHARE on PostgreSQL, as a new
 * connector's insert does). Answers the updated connector, or undefined when nothing was written.
 */
export async function replaceConnectorTokensIfUnchanged(dataSource: DataSource, guard: ReconnectGuard, values: Partial<ConnectorEntity>): Promise<ConnectorEntity | undefined> {
  const sql = sqlDialect(dataSource);
  let n = 0;
  const next = () => sql.param(++n);
  const assignments = TOKEN_COLUMNS.map(([column]) => `${column} = ${next()}`);
  const statement =
    `UPDATE connectors SET ${assignments.join(', ')}, status = 'active', last_error = NULL, refresh_started_at = NULL, refresh_attempts = 0, refresh_retry_at = NULL, refresh_claimed_until = NULL, reauth_warned_for = NULL, health = NULL, health_detail = NULL, updated_at = ${next()}, token_version = token_version + 1 ` +
    `WHERE id = ${next()} AND owner = ${next()} AND provider_id = ${next()} ` +
    `AND EXISTS (SELECT 1 FROM providers WHERE id = ${next()} AND fingerprint = ${next()}${sql.lock('share')}) RETURNING id`;
  const parameters = [...TOKEN_COLUMNS.map(([, field]) => values[field] ?? null), nowIso(), guard.id, guard.owner, guard.providerId, guard.providerId, guard.fingerprint];
  const rows = (await dataSource.query(statement, parameters)) as unknown[];
  // PostgreSQL answers an UPDATE ... RETURNING as [rows, count] through TypeORM; SQLite as rows.
  const updated = Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
  if (updated.length !== 1) return undefined;
  return (await dataSource.getRepository(ConnectorEntity).findOneBy({ id: guard.id })) ?? undefined;
}
