import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { type DeliveryHead, deliveryBody, WebhookOutbox } from './webhook-outbox';
import { WebhookDeliveryProducer } from './webhook-delivery.producer';
import { signWebhookBody } from './webhook-signature';

/** Deadline of one POST to the receiver. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How long a sender holds a delivery for one attempt: longer than the POST's deadline. */
const CLAIM_MS = 60_000;
/** Deliveries sent per job before the job hands over to a new one (other subjects get their turn). */
const PER_JOB = 50;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** How one POST ended. */
interface PostOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * The wait before attempt `attempts + 1`: FLOW_WEBHOOK_RETRY_SECONDS doubled per attempt, at most
 * FLOW_WEBHOOK_RETRY_MAX_SECONDS, the last fifth random (receivers that failed together are not all
 * retried at once).
 */
export function webhookRetryDelayMs(attempts: number, settings: Pick<FlowConfig['webhooks'], 'retrySeconds' | 'retryMaxSeconds'>, random: () => number = Math.random): number {
  const base = Math.min(settings.retrySeconds * 2 ** Math.max(0, attempts - 1), settings.retryMaxSeconds) * 1000;
  return Math.floor(base * (0.8 + 0.2 * random()));
}

/**
 * Sends a subject's deliveries, oldest first: takes the oldest pending one (a lease in its row, so
 * two token-refreshers never POST it at once), POSTs it signed, records the outcome, and goes on
 * to the next only once it was delivered (or given up after FLOW_WEBHOOK_GIVE_UP_HOURS). A failed
 * attempt schedules the next one as a delayed job: later deliveries of that subject wait for it,
 * so a receiver never sees a connector's events out of order.
 */
@Injectable()
export class WebhookSender {
  private readonly logger = new Logger('WebhookSender');

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly producer: WebhookDeliveryProducer,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** Sends what is due for the subject; returns how many deliveries were delivered. */
  async deliver(subject: string): Promise<number> {
    const { url, secret } = this.config.webhooks;
    if (!url || !secret) return 0;
    let delivered = 0;
    for (let sent = 0; sent < PER_JOB; sent++) {
      const head = await this.outbox.head(subject);
      if (!head) return delivered;
      const now = new Date();
      const dueAt = Date.parse(head.nextAttemptAt ?? head.createdAt);
      if (dueAt > now.getTime()) {
        await this.producer.kick(subject, retryKey(head), dueAt - now.getTime());
        return delivered;
      }
      if (!(await this.outbox.claim(head.id, now, new Date(now.getTime() + CLAIM_MS)))) {
        // Another sender holds it: it goes on with the rest of this subject.
        return delivered;
      }
      const outcome = await this.post(url, secret, head);
      const at = new Date();
      const attempts = head.attempts + 1;
      if (outcome.ok) {
        await this.outbox.recordAttempt(head.id, { at, attempts, status: 'delivered', httpStatus: outcome.status, error: null, nextAttemptAt: null });
        delivered += 1;
        continue;
      }
      const giveUp = at.getTime() - Date.parse(head.createdAt) >= this.config.webhooks.giveUpHours * 3_600_000;
      if (giveUp) {
        await this.outbox.recordAttempt(head.id, { at, attempts, status: 'failed', httpStatus: outcome.status, error: outcome.error, nextAttemptAt: null });
        this.logger.error(`webhook ${head.event} ${head.id} given up after ${attempts} attempts over ${this.config.webhooks.giveUpHours} h: ${outcome.error}`);
        continue;
      }
      const delay = webhookRetryDelayMs(attempts, this.config.webhooks);
      await this.outbox.recordAttempt(head.id, { at, attempts, status: 'pending', httpStatus: outcome.status, error: outcome.error, nextAttemptAt: new Date(at.getTime() + delay) });
      this.logger.warn(`webhook ${head.event} ${head.id} not delivered (attempt ${attempts}: ${outcome.error}); next attempt in ${Math.round(delay / 1000)} s`);
      await this.producer.kick(subject, retryKey({ ...head, attempts }), delay);
      return delivered;
    }
    // A long backlog: a new job carries on, after the other subjects' jobs waiting now.
    await this.producer.kick(subject, `more-${Date.now()}`);
    return delivered;
  }

  /** One signed POST; never throws (a network failure is an outcome). The URL is never logged: it may hold a credential. */
  private async post(url: string, secret: string, head: DeliveryHead): Promise<PostOutcome> {
    const body = deliveryBody(head);
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'flow-oauth-webhooks',
          'X-Flow-Event': head.event,
          'X-Flow-Delivery': head.id,
          'X-Flow-Signature': signWebhookBody(body, secret),
        },
        body,
      });
      await drain(response);
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, error: null };
      return { ok: false, status: response.status, error: `receiver answered ${response.status}` };
    } catch (error) {
      return { ok: false, status: null, error: describeNetworkError(error) };
    }
  }
}

/** The key of the job that makes the next attempt of a delivery (one per attempt, so a kept id never swallows it). */
function retryKey(head: Pick<DeliveryHead, 'sequence' | 'attempts'>): string {
  return `s${head.sequence}-a${head.attempts}`;
}

/** Reads (and drops) a bounded answer body, so the connection is reused. */
async function drain(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The status is what counts.
  }
}

/** A short, secret-free reason (fetch's errors carry the cause's code, never the URL's query). */
function describeNetworkError(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  const code = e.cause?.code;
  return code ? `network error (${code})` : 'network error';
}
