import type { ConnectorEntity, ConnectorHealth } from '@flow-oauth/persistence';

/** A connector as the API shows it: metadata and status, never tokens. */
export interface ConnectorView {
  id: string;
  label: string;
  type: string;
  provider: string;
  owner: string;
  status: ConnectorEntity['status'];
  /** Null when the token does not expire or the provider did not say (no expires_in). */
  expiresAt: string | null;
  /**
   * `unknown` when the provider gave no expiry (only the health check tells whether it still works),
   * `expired` or `valid` by `expiresAt`; null without a token (purged).
   */
  expiry: 'valid' | 'expired' | 'unknown' | null;
  /** When the grant will need its user again (the refresh token lapses); null when unknown. */
  reauthDueAt: string | null;
  /** Why `reauthDueAt` is that: `provider`, `google_testing`, `idle_limit`, `access_token_expiry`. */
  reauthDueBasis: string | null;
  /** The last health check: `ok`, `refused`, `not_checked` (no validate endpoint) or `unknown` (not checked yet, or it could not tell). */
  health: ConnectorHealth;
  /** What the last health check saw (secret-free); null before the first. */
  healthDetail: string | null;
  lastCheckedAt: string | null;
  /** The last successful refresh; null before the first. */
  lastRefreshedAt: string | null;
  /** When the next background refresh is due; null when the token is never refreshed. */
  nextRefreshAt: string | null;
  /** Background refresh attempts in a row that failed at the provider (0 when the last one succeeded). */
  refreshAttempts: number;
  /** When the next background attempt runs after a failed one (or while the provider's credentials are rejected); null when none waits. */
  refreshRetryAt: string | null;
  createdAt: string;
  updatedAt: string;
  scope: string | null;
  params: Record<string, string>;
  metadata: Record<string, unknown>;
  lastError: string | null;
}

/** Maps a stored connector to its API view. */
export function toConnectorView(c: ConnectorEntity): ConnectorView {
  return {
    id: c.id,
    label: c.label,
    type: c.type,
    provider: c.providerName,
    owner: c.owner,
    status: c.status,
    expiresAt: c.expiresAt,
    expiry: expiryOf(c),
    reauthDueAt: c.reauthDueAt ?? null,
    reauthDueBasis: c.reauthDueBasis ?? null,
    health: c.health ?? 'unknown',
    healthDetail: c.healthDetail ?? null,
    lastCheckedAt: c.lastCheckedAt ?? null,
    lastRefreshedAt: c.lastRefreshedAt ?? null,
    nextRefreshAt: c.nextRefreshAt ?? null,
    refreshAttempts: Number(c.refreshAttempts ?? 0),
    refreshRetryAt: c.refreshRetryAt ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    scope: c.scope,
    params: JSON.parse(c.params) as Record<string, string>,
    metadata: JSON.parse(c.metadata) as Record<string, unknown>,
    lastError: c.lastError,
  };
}

/** A token without a known expiry is never shown as expired or fresh. */
function expiryOf(c: Pick<ConnectorEntity, 'accessToken' | 'expiresAt'>, now = Date.now()): ConnectorView['expiry'] {
  if (!c.accessToken) return null;
  if (c.expiresAt === null) return 'unknown';
  return Date.parse(c.expiresAt) > now ? 'valid' : 'expired';
}
