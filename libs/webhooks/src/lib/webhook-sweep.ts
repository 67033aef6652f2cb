import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { PeriodicTask } from '@flow-oauth/periodic';
import { WebhookDeliveryProducer } from './webhook-delivery.producer';
import { WebhookOutbox } from './webhook-outbox';

const SWEEP_BATCH = 500;

/**
 * The webhook safety net: every REFRESH_SWEEP_SECONDS, each token-refresher queues a send for every
 * subject whose oldest pending delivery is due and not held, so a delivery whose job was lost
 * (Redis lost its data, a kick that could not reach Redis, a sender that died holding it) still
 * goes out. A job for a subject that is being sent finds nothing to do.
 */
@Injectable()
export class WebhookSweep {
  private readonly logger = new Logger('WebhookSweep');
  private readonly task = new PeriodicTask('webhook sweep', () => this.run(), this.logger, (n) => {
    if (n > 0) this.logger.debug(`webhook sweep queued ${n} subject(s)`);
  });

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly producer: WebhookDeliveryProducer,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** Starts the timer (no-op while webhooks are off) and sweeps once now. */
  start(): void {
    if (this.outbox.enabled) this.task.start(this.config.refreshSweepSeconds * 1000);
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One pass; returns how many subjects it queued. */
  async run(now = new Date()): Promise<number> {
    const subjects = await this.outbox.dueSubjects(now, SWEEP_BATCH);
    const slot = Math.floor(now.getTime() / (this.config.refreshSweepSeconds * 1000));
    for (const subject of subjects) await this.producer.kick(subject, `sweep-${slot}`);
    return subjects.length;
  }
}
