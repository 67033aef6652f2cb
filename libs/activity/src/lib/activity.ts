import type { AuditActor, AuditOutcome } from '@flow-oauth/audit';
import type { ConnectorEntity } from '@flow-oauth/persistence';

/** A connector as an activity names it (enough for the audit entry and the webhook; never a token). */
export type ConnectorRef = Pick<ConnectorEntity, 'id' | 'label' | 'type' | 'providerName' | 'owner' | 'status'>;

/** A provider as an activity names it. */
export interface ActivityProviderRef {
  id: string;
  type: string;
  name: string;
  state: string;
}

/** What can happen to a connector; the first five (and the provider ones) are webhook events too. */
export type ConnectorActivityType =
  | 'connector.created'
  | 'connector.needs_reauth'
  | 'connector.recovered'
  | 'connector.reauth_due'
  | 'connector.deleted'
  /** After its retries ran out (about an hour): audit only; `connector.recovered` follows when it heals. */
  | 'connector.refresh_failed';

export type ProviderActivityType = 'provider.credentials_rejected' | 'provider.credentials_restored';

/** Something that happened to a connector. `data` is secret-free: a reason, a previous status, a time. */
export interface ConnectorActivity {
  kind: 'connector';
  type: ConnectorActivityType;
  actor: AuditActor;
  connector: ConnectorRef;
  data?: Record<string, unknown>;
}

/** Something that happened to a provider's credentials. */
export interface ProviderActivity {
  kind: 'provider';
  type: ProviderActivityType;
  actor: AuditActor;
  provider: ActivityProviderRef;
  data?: Record<string, unknown>;
}

/**
 * An administrative action (audit only): a load and its plan, a provider delete, a token purge,
 * a user key issued or revoked, a key rotation.
 */
export interface AdminActivity {
  kind: 'admin';
  type: 'configuration.load' | 'provider.delete' | 'tokens.purge' | 'user.key_issued' | 'user.key_revoked' | 'encryption_key.rotation';
  actor: AuditActor;
  subject: string;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
}

export type Activity = ConnectorActivity | ProviderActivity | AdminActivity;

/** The audit subject of a provider: readable, and stable for as long as the provider keeps its name. */
export function providerSubject(provider: { type: string; name: string }): string {
  return `provider:${provider.type}/${provider.name}`;
}
