import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ConnectorStatus = 'active' | 'needs_reauth' | 'refresh_failed';

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

  /** Bumped on every token write, so a writer can tell it saw the latest tokens. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
