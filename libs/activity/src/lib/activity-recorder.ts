import { Injectable, Logger } from '@nestjs/common';
import { type AuditEntryInput, AuditTrail } from '@flow-oauth/audit';
import { isWebhookEvent, type QueuedDelivery, type WebhookEventInput, WebhookDeliveryProducer, WebhookOutbox } from '@flow-oauth/webhooks';
import { nowIso } from '@flow-oauth/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { type Activity, providerSubject } from './activity';

/** Deliveries written in a caller's transaction, to queue once it committed (`ActivityRecorder.dispatch`). */
export interface PendingDispatch {
  deliveries: QueuedDelivery[];
}

/**
 * THE place where "something happened" becomes an audit entry and, for the webhook events, a
 * delivery in the outbox: no call site has to remember both. In a caller's transaction
 * (`recordIn`) both commit or roll back with the change; on its own (`record`) they follow a
 * change that is a single guarded statement (a token write, a status change), which on SQLite
 * must not share a transaction with other requests' writes.
 */
@Injectable()
export class ActivityRecorder {
  private readonly logger = new Logger('Activity');

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    private readonly outbox: WebhookOutbox,
    private readonly producer: WebhookDeliveryProducer,
  ) {}

  /**
   * Records an activity that already happened, and queues its webhook. Never throws: the change is
   * done, and a failure here must not turn it into an error; it is logged as one.
   */
  async record(activity: Activity): Promise<void> {
    try {
      const pending = await this.recordIn(this.dataSource.manager, activity);
      await this.dispatch(pending);
    } catch (error) {
      this.logger.error(`${activity.type} could not be recorded: ${(error as Error).message}`);
    }
  }

  /**
   * Records activities inside the caller's transaction (`manager`): the audit entry and the
   * delivery commit or roll back with the change. Pass the answer to `dispatch` after the commit.
   */
  async recordIn(manager: EntityManager, ...activities: Activity[]): Promise<PendingDispatch> {
    const at = nowIso();
    await this.audit.append(activities.map((a) => auditEntry(a, at)), manager);
    const deliveries: QueuedDelivery[] = [];
    for (const activity of activities) {
      const event = webhookEvent(activity, at);
      if (!event) continue;
      const queued = await this.outbox.add(event, manager);
      if (queued) deliveries.push(queued);
    }
    return { deliveries };
  }

  /** Queues the sends of deliveries that committed; never throws (the webhook sweep catches up). */
  async dispatch(pending: PendingDispatch | undefined): Promise<void> {
    for (const delivery of pending?.deliveries ?? []) await this.producer.kick(delivery.subject, delivery.id);
  }
}

function auditEntry(activity: Activity, at: string): AuditEntryInput {
  switch (activity.kind) {
    case 'admin':
      return { at, type: activity.type, actor: activity.actor, subject: activity.subject, outcome: activity.outcome, detail: activity.detail };
    case 'connector': {
      const c = activity.connector;
      return {
        at,
        type: activity.type,
        actor: activity.actor,
        subject: `connector:${c.id}`,
        outcome: 'ok',
        detail: { label: c.label, type: c.type, provider: c.providerName, owner: c.owner, ...(activity.data ?? {}) },
      };
    }
    case 'provider':
      return { at, type: activity.type, actor: activity.actor, subject: providerSubject(activity.provider), outcome: 'ok', detail: { ...(activity.data ?? {}) } };
  }
}

function webhookEvent(activity: Activity, at: string): WebhookEventInput | undefined {
  if (activity.kind === 'admin' || !isWebhookEvent(activity.type)) return undefined;
  const data = { ...(activity.data ?? {}), actor: activity.actor };
  if (activity.kind === 'connector') {
    const c = activity.connector;
    return {
      event: activity.type,
      subject: `connector:${c.id}`,
      occurredAt: at,
      connector: { id: c.id, label: c.label, type: c.type, provider: c.providerName, owner: c.owner, status: c.status },
      data,
    };
  }
  const p = activity.provider;
  return { event: activity.type, subject: `provider:${p.id}`, occurredAt: at, provider: { id: p.id, type: p.type, provider: p.name, state: p.state }, data };
}
