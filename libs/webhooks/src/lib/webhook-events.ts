/** The events POSTed to FLOW_WEBHOOK_URL (SPEC section 3); other activity is in the audit trail only. */
export const WEBHOOK_EVENTS = [
  'connector.created',
  'connector.needs_reauth',
  'connector.recovered',
  'connector.reauth_due',
  'connector.deleted',
  'provider.credentials_rejected',
  'provider.credentials_restored',
] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** Tells whether an activity type is also a webhook event. */
export function isWebhookEvent(name: string): name is WebhookEventName {
  return (WEBHOOK_EVENTS as readonly string[]).includes(name);
}

/** A connector as a webhook names it: metadata only, never a token. */
export interface WebhookConnector {
  id: string;
  label: string;
  type: string;
  provider: string;
  owner: string;
  status: string;
}

/** A provider as a webhook names it: never a setting or a secret. */
export interface WebhookProvider {
  id: string;
  type: string;
  provider: string;
  state: string;
}

/** The JSON body of a delivery. */
export interface WebhookPayload {
  /** The delivery id, also in `X-Flow-Delivery`: the same on every retry, so a receiver can drop a repeat. */
  id: string;
  event: WebhookEventName;
  /** ISO 8601: when it happened (not when it was sent). */
  occurredAt: string;
  /** 1, 2, 3 ... per connector (or per provider), in the order the events happened. */
  sequence: number;
  connector?: WebhookConnector;
  provider?: WebhookProvider;
  /** What the event adds: `reason`, `actor`, `previousStatus`, `reauthDueAt`, `basis`, `error`. */
  data: Record<string, unknown>;
}
