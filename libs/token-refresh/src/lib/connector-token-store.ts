import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import type { TokenSet } from '@flow-oauth/oauth-client';
import { ConnectorEntity, type ConnectorStatus, nowIso } from '@flow-oauth/persistence';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import type { EntityManager } from 'typeorm';
import { pendingTokenSetPlace } from './pending-token-store';
import { ConnectorSql } from './connector-sql';
import { nextRefreshTime } from './refresh-schedule';

/** The tokens of a connector, opened. */
export interface OpenedTokens {
  accessToken: string | null;
  refreshToken: string | null;
}

/**
 * A token set a provider issued at a refresh, kept (sealed) until the database has it: the refresh
 * token it replaces may already be dead at a provider that rotates them.
 */
export interface PendingTokenSet {
  tokens: TokenSet;
  /** When the provider answered: the tokens' issue time, for the next refresh time. */
  obtainedAt: Date;
}

interface PendingTokenSetJson {
  accessToken: string;
  tokenType: string;
  expiresAt: string | null;
  refreshToken?: string;
  scope?: string;
  metadata: Record<string, unknown>;
  obtainedAt: string;
  connectorId: string;
  baseVersion: number;
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
  constructor(
    private readonly box: SecretBox,
    @Inject(FLOW_CONFIG) private readonly config: Pick<FlowConfig, 'refreshMarginSeconds'>,
  ) {}

  /** The connector's tokens in clear (in memory only). */
  open(connector: Pick<ConnectorEntity, 'id' | 'accessToken' | 'refreshToken'>): OpenedTokens {
    return {
      accessToken: connector.accessToken ? this.box.open(connector.accessToken, accessTokenOf(connector.id)) : null,
      refreshToken: connector.refreshToken ? this.box.open(connector.refreshToken, refreshTokenOf(connector.id)) : null,
    };
  }

  /** The connector's refresh token in clear (in memory only); what a refresh needs, without opening the access token. */
  openRefreshToken(connector: Pick<ConnectorEntity, 'id' | 'refreshToken'>): string | null {
    return connector.refreshToken ? this.box.open(connector.refreshToken, refreshTokenOf(connector.id)) : null;
  }

  /**
   * Column values for a fresh token set of the connector `connectorId` (a missing refresh token
   * keeps `keepRefreshToken`), with the next refresh time computed from its expiry and `issuedAt`.
   * A new connector's id must be chosen before its tokens are sealed.
   */
  columns(connectorId: string, tokens: TokenSet, keepRefreshToken: string | null, issuedAt: Date = new Date()): Partial<ConnectorEntity> {
    const refresh = tokens.refreshToken ?? keepRefreshToken;
    return {
      accessToken: this.box.seal(tokens.accessToken, accessTokenOf(connectorId)),
      refreshToken: refresh ? this.box.seal(refresh, refreshTokenOf(connectorId)) : null,
      tokenType: tokens.tokenType || 'Bearer',
      scope: tokens.scope ?? null,
      expiresAt: tokens.expiresAt ? tokens.expiresAt.toISOString() : null,
      nextRefreshAt: nextRefreshTime(tokens.expiresAt, issuedAt, this.config.refreshMarginSeconds)?.toISOString() ?? null,
      status: 'active',
      lastError: null,
      // New tokens start with no failed background refresh attempt.
      refreshAttempts: 0,
      refreshRetryAt: null,
      // The attempt that wrote them is over: the next one is due at nextRefreshAt (a token living
      // only seconds is due again before a claim would end), whichever process takes it.
      refreshClaimedUntil: null,
      // Every new token is checked at the provider soon after (the health scan picks it up).
      nextCheckAt: nowIso(),
      updatedAt: nowIso(),
    };
  }

  /**
   * Writes a refreshed token set, the rotated refresh token with it, in one statement guarded by
   * the version the writer read: a concurrent write makes this fail instead of losing a token.
   */
  async writeRefreshed(manager: EntityManager, connector: ConnectorEntity, tokens: TokenSet, keepRefreshToken: string | null, issuedAt: Date = new Date()): Promise<ConnectorEntity> {
    return (await this.writeTokenSet(manager, connector, tokens, keepRefreshToken, issuedAt)).connector;
  }

  /**
   * writeRefreshed, telling also the status the connector had just before (`connector.recovered`
   * is decided here, where the status changes), with extra columns to set in the same statement.
   * One statement while the connector was active as read (the common case); when it was not, or
   * turned refresh_failed since (the only status change without a version bump), a second one
   * guarded by the version alone, so no token is lost over a status.
   */
  async writeTokenSet(
    manager: EntityManager,
    connector: ConnectorEntity,
    tokens: TokenSet,
    keepRefreshToken: string | null,
    issuedAt: Date = new Date(),
    extra: Partial<ConnectorEntity> = {},
  ): Promise<{ connector: ConnectorEntity; previousStatus: ConnectorStatus }> {
    const metadata = { ...(JSON.parse(connector.metadata) as Record<string, unknown>), ...tokens.metadata };
    // The scope stays the one the user asked for: the next refresh must ask for it again.
    const values = {
      ...this.columns(connector.id, { ...tokens, scope: connector.scope ?? tokens.scope }, keepRefreshToken, issuedAt),
      metadata: JSON.stringify(metadata),
      tokenVersion: connector.tokenVersion + 1,
      lastRefreshedAt: nowIso(),
      // No refresh of the new version has started (a refresh looks for a kept token set only when one has).
      refreshStartedAt: null,
      ...extra,
    };
    const sql = ConnectorSql.of(manager.connection);
    const write = (activeOnly: boolean) => sql.update(manager, values, { id: connector.id, tokenVersion: connector.tokenVersion, activeOnly });
    let previousStatus: ConnectorStatus = connector.status;
    if (connector.status !== 'active' || !(await write(true))) {
      if (!(await write(false))) throw new StaleTokenWriteError(connector.id);
      if (previousStatus === 'active') previousStatus = 'refresh_failed';
    }
    return { connector: Object.assign(new ConnectorEntity(), connector, values), previousStatus };
  }

  /** Seals a pending token set of a connector, for the refresh that replaces token version `baseVersion`. */
  sealPending(connectorId: string, baseVersion: number, pending: PendingTokenSet): string {
    const { tokens } = pending;
    const json: PendingTokenSetJson = {
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      expiresAt: tokens.expiresAt ? tokens.expiresAt.toISOString() : null,
      ...(tokens.refreshToken !== undefined ? { refreshToken: tokens.refreshToken } : {}),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
      metadata: tokens.metadata,
      obtainedAt: pending.obtainedAt.toISOString(),
      connectorId,
      baseVersion,
    };
    return this.box.sealJson(json, pendingTokensOf(connectorId, baseVersion));
  }

  /** Opens a pending token set; refuses one sealed for another connector or token version. */
  openPending(connectorId: string, baseVersion: number, sealed: string): PendingTokenSet {
    const json = this.box.openJson<PendingTokenSetJson>(sealed, pendingTokensOf(connectorId, baseVersion));
    if (json.connectorId !== connectorId || json.baseVersion !== baseVersion) throw new Error(`pending token set does not belong to connector ${connectorId} v${baseVersion}`);
    const tokens: TokenSet = { accessToken: json.accessToken, tokenType: json.tokenType, expiresAt: json.expiresAt ? new Date(json.expiresAt) : null, metadata: json.metadata };
    if (json.refreshToken !== undefined) tokens.refreshToken = json.refreshToken;
    if (json.scope !== undefined) tokens.scope = json.scope;
    return { tokens, obtainedAt: new Date(json.obtainedAt) };
  }
}

function accessTokenOf(connectorId: string): SealedPlace {
  return { table: 'connectors', column: 'access_token', row: connectorId };
}

function refreshTokenOf(connectorId: string): SealedPlace {
  return { table: 'connectors', column: 'refresh_token', row: connectorId };
}

/** A pending token set lives in Redis under its connector and the token version it replaces. */
const pendingTokensOf = pendingTokenSetPlace;
