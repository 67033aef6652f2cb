import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One webhook delivery (the outbox): an event's signed POST to FLOW_WEBHOOK_URL and its outcome.
 * Deliveries of one subject (a connector, a provider) are numbered and sent strictly in that order.
 */
@Entity({ name: 'webhook_deliveries' })
@Index('uq_webhook_deliveries_subject_sequence', ['subject', 'sequence'], { unique: true })
@Index('ix_webhook_deliveries_due', ['status', 'nextAttemptAt'])
export class WebhookDeliveryEntity {
  /** Also the `X-Flow-Delivery` header and the payload's `id`. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The ordering key: `connector:<id>` or `provider:<id>`. */
  @Column({ type: 'varchar', length: 80 })
  subject!: string;

  /** 1, 2, 3 ... per subject, in the order the events happened. */
  @Column({ type: 'integer' })
  sequence!: number;

  @Column({ type: 'varchar', length: 64 })
  event!: string;

  /** The JSON body, exactly as POSTed (signed at each attempt). */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: WebhookDeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Index('ix_webhook_deliveries_created_at')
  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  /** When the next attempt is due; null once delivered or given up. */
  @Column({ name: 'next_attempt_at', type: 'varchar', length: 32, nullable: true })
  nextAttemptAt!: string | null;

  /** A sender holds the delivery until then (so two senders never POST it at once). */
  @Column({ name: 'claimed_until', type: 'varchar', length: 32, nullable: true })
  claimedUntil!: string | null;

  @Column({ name: 'last_attempt_at', type: 'varchar', length: 32, nullable: true })
  lastAttemptAt!: string | null;

  /** HTTP status of the last attempt; null when it got no answer. */
  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus!: number | null;

  /** Why the last attempt failed (secret-free). */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'delivered_at', type: 'varchar', length: 32, nullable: true })
  deliveredAt!: string | null;
}
