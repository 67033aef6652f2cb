import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ConnectorStatus = 'active' | 'needs_reauth' | 'refresh_failed';

/**
 * What the last health check (the definition's validate request) said: `ok` accepted, `refused`
 * refused while unexpired, `not_checked` the provider has no validate endpoint, `unknown` the check
 * could not tell (network, 5xx, expired token waiting for its refresh).
 */
export type ConnectorHealth = 'ok' | 'refused' | 'not_checked' | 'unknown';

/** One user's authorization against one provider, holding its (sealed) tokens. */
@Entity({ name: 'connectors' })
export class ConnectorEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('uq_connectors_label', { unique: true })
  @Column({ type: 'varchar', length: 128 })
  label!: string;

  @Index('ix_connectors_provider')
  @Column({ name: 'provider_id', type: 'varchar', length: 36 })
  providerId!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ name: 'provider_name', type: 'varchar', length: 64 })
  providerName!: string;

  @Index('ix_connectors_owner')
  @Column({ type: 'varchar', length: 64 })
  owner!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: ConnectorStatus;

  /** Sealed access token (OAuth 1.0a: the token). */
  @Column({ name: 'access_token', type: 'text', nullable: true })
  accessToken!: string | null;

  /** Sealed refresh token (OAuth 1.0a: the token secret). */
  @Column({ name: 'refresh_token', type: 'text', nullable: true })
  refreshToken!: string | null;

  @Column({ name: 'token_type', type: 'varchar', length: 32, nullable: true })
  tokenType!: string | null;

  @Column({ type: 'text', nullable: true })
  scope!: string | null;

  /** ISO 8601; null when the token does not expire. */
  @Index('ix_connectors_expires_at')
  @Column({ name: 'expires_at', type: 'varchar', length: 32, nullable: true })
  expiresAt!: string | null;

  /** JSON of per-connection parameters (tenant, subdomain, resource...). */
  @Column({ type: 'text' })
  params!: string;

  /** JSON of kept token-response metadata (instance_url, team...). */
  @Column({ type: 'text' })
  metadata!: string;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /**
   * ISO 8601: when the token is due for refresh (expires_at - margin, or half its life when it is
   * short). Null when it is never refreshed: no known expiry, OAuth 1.0a, not refreshable, or
   * needs_reauth. Indexed: the sweep reads only connectors due soon.
   */
  @Index('ix_connectors_next_refresh_at')
  @Column({ name: 'next_refresh_at', type: 'varchar', length: 32, nullable: true })
  nextRefreshAt!: string | null;

  /** ISO 8601 of the last successful refresh; null before the first. */
  @Column({ name: 'last_refreshed_at', type: 'varchar', length: 32, nullable: true })
  lastRefreshedAt!: string | null;

  /**
   * ISO 8601 of the last refresh that reached the point of calling the provider: written before
   * the call, so a refresh only starts when the database can take its answer.
   */
  @Column({ name: 'refresh_started_at', type: 'varchar', length: 32, nullable: true })
  refreshStartedAt!: string | null;

  /** Background refresh attempts in a row that failed at the provider (0 after every token write). */
  @Column({ name: 'refresh_attempts', type: 'integer', default: 0 })
  refreshAttempts!: number;

  /** ISO 8601: the next background attempt after a failed one waits until then; null when none failed. */
  @Column({ name: 'refresh_retry_at', type: 'varchar', length: 32, nullable: true })
  refreshRetryAt!: string | null;

  /**
   * ISO 8601: until then one token-refresher has this connector's next background refresh (the
   * due-refresh loop claims what it starts, so several processes do not read and try the same due
   * connectors); an expired claim (its process died) is ignored. Not a lock: the refresh itself
   * still holds the connector lock and writes guarded by the token version.
   */
  @Column({ name: 'refresh_claimed_until', type: 'varchar', length: 32, nullable: true })
  refreshClaimedUntil!: string | null;

  /**
   * ISO 8601: when the grant will need its user again (the refresh token lapses, or a token that
   * cannot be refreshed expires); null when unknown. Indexed: the reauth warning reads only those due soon.
   */
  @Index('ix_connectors_reauth_due_at')
  @Column({ name: 'reauth_due_at', type: 'varchar', length: 32, nullable: true })
  reauthDueAt!: string | null;

  /** Where reauth_due_at comes from: `provider`, `google_testing`, `idle_limit` or `access_token_expiry`. */
  @Column({ name: 'reauth_due_basis', type: 'varchar', length: 32, nullable: true })
  reauthDueBasis!: string | null;

  /** The reauth_due_at that `connector.reauth_due` was sent for: once per grant. */
  @Column({ name: 'reauth_warned_for', type: 'varchar', length: 32, nullable: true })
  reauthWarnedFor!: string | null;

  /** Outcome of the last health check: `ok`, `refused`, `not_checked` or `unknown`; null before the first. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  health!: ConnectorHealth | null;

  /** What the last health check saw (secret-free). */
  @Column({ name: 'health_detail', type: 'text', nullable: true })
  healthDetail!: string | null;

  /** ISO 8601 of the last health check. */
  @Column({ name: 'last_checked_at', type: 'varchar', length: 32, nullable: true })
  lastCheckedAt!: string | null;

  /** ISO 8601: when the next health check is due (every token write makes it due now). Indexed. */
  @Index('ix_connectors_next_check_at')
  @Column({ name: 'next_check_at', type: 'varchar', length: 32, nullable: true })
  nextCheckAt!: string | null;

  /** Bumped on every token write, so a writer can tell it saw the latest tokens. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
