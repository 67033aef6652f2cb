import { Injectable } from '@nestjs/common';
import type { TokenSet } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { SecretBox } from '@flow-oauth/secrets';
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

/** Seals and opens connector tokens; every token write bumps token_version in the same statement. */
@Injectable()
export class ConnectorTokenStore {
  constructor(private readonly box: SecretBox) {}

  /** The connector's tokens in clear (in memory only). */
  open(connector: Pick<ConnectorEntity, 'accessToken' | 'refreshToken'>): OpenedTokens {
    return {
      accessToken: connector.accessToken ? this.box.open(connector.accessToken) : null,
      refreshToken: connector.refreshToken ? this.box.open(connector.refreshToken) : null,
    };
  }

  /** Column values for a fresh token set (a missing refresh token keeps `keepRefreshToken`). */
  columns(tokens: TokenSet, keepRefreshToken: string | null): Partial<ConnectorEntity> {
    const refresh = tokens.refreshToken ?? keepRefreshToken;
    return {
      accessToken: this.box.seal(tokens.accessToken),
      refreshToken: refresh ? this.box.seal(refresh) : null,
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
    const values = { ...this.columns({ ...tokens, scope: connector.scope ?? tokens.scope }, keepRefreshToken), metadata: JSON.stringify(metadata), tokenVersion: connector.tokenVersion + 1 };
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
