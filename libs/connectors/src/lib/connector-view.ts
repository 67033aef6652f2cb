import type { ConnectorEntity } from '@flow-oauth/persistence';

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
  /** The last successful refresh; null before the first. */
  lastRefreshedAt: string | null;
  /** When the next background refresh is due; null when the token is never refreshed. */
  nextRefreshAt: string | null;
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
    lastRefreshedAt: c.lastRefreshedAt ?? null,
    nextRefreshAt: c.nextRefreshAt ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    scope: c.scope,
    params: JSON.parse(c.params) as Record<string, string>,
    metadata: JSON.parse(c.metadata) as Record<string, unknown>,
    lastError: c.lastError,
  };
}
