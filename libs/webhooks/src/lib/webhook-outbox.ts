import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { assertSecretFree } from '@flow-oauth/audit';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { nowIso, sqlDialect, updatedRowCount, WebhookDeliveryEntity, type WebhookDeliveryStatus } from '@flow-oauth/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import type { WebhookConnector, WebhookEventName, WebhookPayload, WebhookProvider } from './webhook-events';

/** An event to deliver, before it has its id and sequence. */
export interface WebhookEventInput {
  event: WebhookEventName;
  /** The ordering key: `connector:<id>` or `provider:<id>`. */
  subject: string;
  occurredAt: string;
  connector?: WebhookConnector;
  provider?: WebhookProvider;
  data: Record<string, unknown>;
}

/** A delivery the outbox holds. */
export interface QueuedDelivery {
  id: string;
  subject: string;
  sequence: number;
}

/** A pending delivery as the sender reads it. */
export interface DeliveryHead {
  id: string;
  subject: string;
  sequence: number;
  event: string;
  payload: string;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  claimedUntil: string | null;
}

/** A delivery as `GET /api/webhooks/deliveries` shows it. */
export interface WebhookDeliveryView {
  id: string;
  event: string;
  subject: string;
  sequence: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  payload: WebhookPayload;
}

/** Which deliveries to list, newest first. */
export interface DeliveryFilter {
  status?: WebhookDeliveryStatus;
  event?: string;
  subject?: string;
  limit: number;
}

/** What the payload column keeps: the body without its id and number, which are columns. */
interface StoredPayload {
  occurredAt: string;
  connector?: WebhookPayload['connector'];
  provider?: WebhookPayload['provider'];
  data: Record<string, unknown>;
}

/**
 * The JSON body of a delivery, the same bytes at every attempt: built from its columns and the
 * stored payload, keys in a fixed order.
 */
export function deliveryBody(row: { id: string; event: string; sequence: number; payload: string }): string {
  const stored = JSON.parse(row.payload) as StoredPayload;
  const body: WebhookPayload = {
    id: row.id,
    event: row.event as WebhookPayload['event'],
    occurredAt: stored.occurredAt,
    sequence: Number(row.sequence),
    ...(stored.connector ? { connector: stored.connector } : {}),
    ...(stored.provider ? { provider: stored.provider } : {}),
    data: stored.data,
  };
  return JSON.stringify(body);
}

/**
 * The webhook outbox: every delivery is a row, numbered 1, 2, 3 ... per subject, written in the
 * transaction of the change it reports where there is one, so an event is never sent for a change
 * that rolled back nor lost for one that committed. Senders claim the oldest pending delivery of a
 * subject (a lease in the row), so deliveries of one connector go out one at a time, in order.
 */
@Injectable()
export class WebhookOutbox {
  private readonly sql;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    this.sql = sqlDialect(dataSource);
  }

  /** Whether deliveries are recorded at all (FLOW_WEBHOOK_URL is set). */
  get enabled(): boolean {
    return this.config.webhooks.url !== undefined;
  }

  /**
   * Adds a delivery for an event (in `manager`'s transaction when it has one); undefined when
   * webhooks are off. The payload is checked to name no secret or token before it is stored.
   * The next number of the subject is taken in the INSERT itself (MAX + 1): one statement, which
   * SQLite runs under its write lock; PostgreSQL serialises a subject's inserts with an advisory lock
   * held to the end of the transaction, so a number is never taken twice nor skipped.
   */
  async add(input: WebhookEventInput, manager: EntityManager = this.dataSource.manager): Promise<QueuedDelivery | undefined> {
    if (!this.enabled) return undefined;
    assertSecretFree(input);
    const id = randomUUID();
    if (this.sql.kind === 'postgres') {
      const insert = async (m: EntityManager) => {
        await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [input.subject]);
        return this.insertNext(m, id, input);
      };
      return manager.queryRunner?.isTransactionActive ? insert(manager) : this.dataSource.transaction(insert);
    }
    return this.insertNext(manager, id, input);
  }

  private async insertNext(manager: EntityManager, id: string, input: WebhookEventInput): Promise<QueuedDelivery> {
    const p = this.sql.param;
    const stored: StoredPayload = {
      occurredAt: input.occurredAt,
      ...(input.connector ? { connector: input.connector } : {}),
      ...(input.provider ? { provider: input.provider } : {}),
      data: input.data,
    };
    const rows = (await manager.query(
      'INSERT INTO webhook_deliveries (id, subject, sequence, event, payload, status, attempts, created_at, next_attempt_at) ' +
        `SELECT ${p(1)}, ${p(2)}, COALESCE(MAX(sequence), 0) + 1, ${p(3)}, ${p(4)}, 'pending', 0, ${p(5)}, ${p(6)} FROM webhook_deliveries WHERE subject = ${p(7)} ` +
        'RETURNING sequence',
      [id, input.subject, input.event, JSON.stringify(stored), nowIso(), input.occurredAt, input.subject],
    )) as Array<{ sequence: number | string }>;
    return { id, subject: input.subject, sequence: Number(rows[0]?.sequence) };
  }

  /** The oldest pending delivery of a subject: the only one that may be sent now. */
  async head(subject: string): Promise<DeliveryHead | undefined> {
    const p = this.sql.param;
    const rows = (await this.dataSource.query(
      'SELECT id, subject, sequence, event, payload, attempts, created_at AS "createdAt", next_attempt_at AS "nextAttemptAt", claimed_until AS "claimedUntil" ' +
        `FROM webhook_deliveries WHERE subject = ${p(1)} AND status = 'pending' ORDER BY sequence LIMIT 1`,
      [subject],
    )) as DeliveryHead[];
    const head = rows[0];
    if (head) {
      head.sequence = Number(head.sequence);
      head.attempts = Number(head.attempts);
    }
    return head;
  }

  /** Takes the delivery for one attempt until `until`, unless another sender holds it; true when taken. */
  async claim(id: string, now: Date, until: Date): Promise<boolean> {
    const p = this.sql.param;
    const result = (await this.dataSource.query(
      `UPDATE webhook_deliveries SET claimed_until = ${p(1)} WHERE id = ${p(2)} AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ${p(3)}) RETURNING id`,
      [until.toISOString(), id, now.toISOString()],
    )) as unknown[];
    return updatedRowCount(result) === 1;
  }

  /** Records an attempt: delivered, failed for now (retry at `nextAttemptAt`), or given up (`failed`). */
  async recordAttempt(id: string, attempt: { at: Date; attempts: number; status: WebhookDeliveryStatus; httpStatus: number | null; error: string | null; nextAttemptAt: Date | null }): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({
        status: attempt.status,
        attempts: attempt.attempts,
        lastAttemptAt: attempt.at.toISOString(),
        lastStatus: attempt.httpStatus,
        lastError: attempt.error,
        nextAttemptAt: attempt.nextAttemptAt?.toISOString() ?? null,
        claimedUntil: null,
        deliveredAt: attempt.status === 'delivered' ? attempt.at.toISOString() : null,
      })
      .where('id = :id', { id })
      .execute();
  }

  /**
   * Subjects whose oldest pending delivery is due and not held by a sender (at most `limit`): what
   * the sweep makes sure has a job. Through the (status, next_attempt_at) index and the
   * (subject, sequence) one, so it reads the due work, not the history.
   */
  async dueSubjects(now: Date, limit: number): Promise<string[]> {
    const p = this.sql.param;
    const rows = (await this.dataSource.query(
      'SELECT d.subject FROM webhook_deliveries d ' +
        `WHERE d.status = 'pending' AND d.next_attempt_at <= ${p(1)} AND (d.claimed_until IS NULL OR d.claimed_until <= ${p(2)}) ` +
        "AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subject = d.subject AND e.status = 'pending' AND e.sequence < d.sequence) " +
        `ORDER BY d.next_attempt_at LIMIT ${Math.max(1, Math.floor(limit))}`,
      [now.toISOString(), now.toISOString()],
    )) as Array<{ subject: string }>;
    return rows.map((r) => r.subject);
  }

  /** Deliveries for the admin, newest first. */
  async list(filter: DeliveryFilter): Promise<WebhookDeliveryView[]> {
    const q = this.dataSource.getRepository(WebhookDeliveryEntity).createQueryBuilder('d');
    if (filter.status) q.andWhere('d.status = :status', { status: filter.status });
    if (filter.event) q.andWhere('d.event = :event', { event: filter.event });
    if (filter.subject) q.andWhere('d.subject = :subject', { subject: filter.subject });
    const rows = await q.orderBy('d.createdAt', 'DESC').addOrderBy('d.sequence', 'DESC').limit(filter.limit).getMany();
    return rows.map((row) => ({
      id: row.id,
      event: row.event,
      subject: row.subject,
      sequence: Number(row.sequence),
      status: row.status,
      attempts: Number(row.attempts),
      createdAt: row.createdAt,
      lastAttemptAt: row.lastAttemptAt,
      nextAttemptAt: row.nextAttemptAt,
      lastStatus: row.lastStatus === null ? null : Number(row.lastStatus),
      lastError: row.lastError,
      deliveredAt: row.deliveredAt,
      payload: JSON.parse(deliveryBody(row)) as WebhookPayload,
    }));
  }

  /** Deletes delivered and given-up deliveries created before `before`; pending ones are kept. */
  async prune(before: Date): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(WebhookDeliveryEntity)
      .where("status IN ('delivered', 'failed') AND created_at < :before", { before: before.toISOString() })
      .execute();
    return result.affected ?? 0;
  }
}

