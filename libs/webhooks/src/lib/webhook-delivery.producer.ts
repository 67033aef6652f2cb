import { Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { withDeadline } from '@flow-oauth/deadline';
import { QueueName, WEBHOOK_JOB_OPTIONS, type WebhookJobData, WebhookJobName } from '@flow-oauth/queue-contracts';
import type { Queue } from 'bullmq';

/** BullMQ waits for Redis forever; a caller on a request path gives up on the kick after this (the sweep catches up). */
const KICK_DEADLINE_MS = 3000;

/**
 * Queues the job that sends a subject's due deliveries (token-refresher consumes it). A job never
 * carries the payload: the outbox row is the truth, so a lost job costs time (the sweep re-creates
 * it), never an event. Job ids are per delivery or per retry, so an add is never swallowed by a
 * job of the same subject that is running right now.
 */
@Injectable()
export class WebhookDeliveryProducer {
  private readonly logger = new Logger('WebhookDeliveryProducer');

  constructor(@InjectQueue(QueueName.WebhookDelivery) private readonly queue: Queue<WebhookJobData>) {}

  /** The job id for a subject and a key (a delivery id, a retry, a sweep slot); BullMQ ids carry no colon. */
  static jobId(subject: string, key: string): string {
    return `webhook-${encodeURIComponent(subject)}-${encodeURIComponent(key)}`.replace(/%/g, '_');
  }

  /** Queues a send of the subject's deliveries after `delayMs`; never throws (the sweep is the safety net). */
  async kick(subject: string, key: string, delayMs = 0): Promise<void> {
    try {
      const add = this.queue.add(WebhookJobName.Deliver, { subject }, { ...WEBHOOK_JOB_OPTIONS, backoff: { ...WEBHOOK_JOB_OPTIONS.backoff }, jobId: WebhookDeliveryProducer.jobId(subject, key), delay: Math.max(0, Math.floor(delayMs)) });
      await withDeadline(add, KICK_DEADLINE_MS, `Redis did not take the job within ${KICK_DEADLINE_MS} ms`);
    } catch (error) {
      this.logger.warn(`webhook delivery of ${subject} not queued now (the sweep will): ${(error as Error).message}`);
    }
  }
}
