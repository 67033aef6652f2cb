import { type ConnectorEntity, sqlDialect } from '@flow-oauth/persistence';
import type { DataSource } from 'typeorm';

/** The columns the token API needs, read with one narrow statement (the hot path avoids entity mapping). */
export type TokenRow = Pick<
  ConnectorEntity,
  | 'id'
  | 'label'
  | 'owner'
  | 'status'
  | 'expiresAt'
  | 'nextRefreshAt'
  | 'tokenVersion'
  | 'tokenType'
  | 'accessToken'
  | 'refreshToken'
  | 'metadata'
  | 'scope'
  | 'lastError'
  | 'updatedAt'
>;

/** Reads a connector's token columns; undefined when there is no such connector. */
export class TokenRowReader {
  private readonly sql: string;

  constructor(private readonly dataSource: DataSource) {
    this.sql =
      'SELECT id, label, owner, status, expires_at AS "expiresAt", next_refresh_at AS "nextRefreshAt", token_version AS "tokenVersion", token_type AS "tokenType", ' +
      'access_token AS "accessToken", refresh_token AS "refreshToken", metadata, scope, last_error AS "lastError", updated_at AS "updatedAt" ' +
      `FROM connectors WHERE id = ${sqlDialect(dataSource).param(1)}`;
  }

  /** One row by id. */
  async read(id: string): Promise<TokenRow | undefined> {
    const rows = (await this.dataSource.query(this.sql, [id])) as TokenRow[];
    const row = rows[0];
    if (row) row.tokenVersion = Number(row.tokenVersion);
    return row;
  }
}
