import { Injectable } from '@nestjs/common';
import type { TokenSet } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import type { EntityManager } from 'typeorm';

/** The tokens of a connector, opened. */
export interface OpenedTokens {
  accessToken: string | null;
  refreshToken: string | null;
}

/** Thrown when a connector's tokens changed under a writer that did not hold the lock. */
export class StaleTokenWriteError extends Error {
  constructor(connectorId: string) {
    super(`tokens of connector ${connectorId} changed concurrently`);
    this.name = 'StaleTokenWriteError';
  }
}

/**
 * THE place where connector tokens are sealed and opened, each bound to its connector's row and
 * column (a token copied to another connector does not open); every token write bumps
 * token_version in the same statement. (The key rotation in libs/shared/persistence re-seals the
 * stored values in place, never seeing them in clear, and keeps token_version.)
 */
@Injectable()
export class ConnectorTokenStore {
  constructor(private readonly box: SecretBox) {}

  /** The connector's tokens in clear (in memory only). */
  open(connector: Pick<ConnectorEntity, 'id' | 'accessToken' | 'refreshToken'>): OpenedTokens {
    return {
      accessToken: connector.accessToken ? this.box.open(connector.accessToken, accessTokenOf(connector.id)) : null,
      refreshToken: connector.refreshToken ? this.box.open(connector.refreshToken, refreshTokenOf(connector.id)) : null,
    };
  }

  /**
   * Column values for a fresh token set of the connector `connectorId` (a missing refresh token
   * keeps `keepRefreshToken`). A new connector's id must be chosen before its tokens are sealed.
   */
  columns(connectorId: string, tokens: TokenSet, keepRefreshToken: string | null): Partial<ConnectorEntity> {
    const refresh = tokens.refreshToken ?? keepRefreshToken;
    return {
      accessToken: this.box.seal(tokens.accessToken, accessTokenOf(connectorId)),
      refreshToken: refresh ? this.box.seal(refresh, refreshTokenOf(connectorId)) : null,
      tokenType: tokens.tokenType || 'Bearer',
      scope: tokens.scope ?? null,
      expiresAt: tokens.expiresAt ? tokens.expiresAt.toISOString() : null,
      status: 'active',
      lastError: null,
      updatedAt: nowIso(),
    };
  }

  /**
   * Writes a refreshed token set, the rotated refresh token with it, in one statement guarded by
   * the version the writer read: a concurrent write makes this fail instead of losing a token.
   */
  async writeRefreshed(manager: EntityManager, connector: ConnectorEntity, tokens: TokenSet, keepRefreshToken: string | null): Promise<ConnectorEntity> {
    const metadata = { ...(JSON.parse(connector.metadata) as Record<string, unknown>), ...tokens.metadata };
    // The scope stays the one the user asked for: the next refresh must ask for it again.
    const values = { ...this.columns(connector.id, { ...tokens, scope: connector.scope ?? tokens.scope }, keepRefreshToken), metadata: JSON.stringify(metadata), tokenVersion: connector.tokenVersion + 1 };
    const result = await manager
      .createQueryBuilder()
      .update(ConnectorEntity)
      .set(values)
      .where('id = :id AND token_version = :version', { id: connector.id, version: connector.tokenVersion })
      .execute();
    if (!result.affected) throw new StaleTokenWriteError(connector.id);
    return Object.assign(new ConnectorEntity(), connector, values);
  }
}

function accessTokenOf(connectorId: string): SealedPlace {
  return { table: 'connectors', column: 'access_token', row: connectorId };
}

function refreshTokenOf(connectorId: string): SealedPlace {
  return { table: 'connectors', column: 'refresh_token', row: connectorId };
}
