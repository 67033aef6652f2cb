import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { QueueName, type WebhookJobData, WebhookJobName } from '@flow-oauth/queue-contracts';
import { WebhookSender, WebhookSweep } from '@flow-oauth/webhooks';
import type { Job } from 'bullmq';

/** Subjects whose deliveries are sent at the same time per token-refresher (each waits on the receiver). */
const WEBHOOK_CONCURRENCY = 8;

/**
 * Consumes the webhook-delivery queue: each job sends one subject's due deliveries in order (the
 * lib's sender); starts the webhook sweep. Graceful stop: no new job, the POSTs in flight finish.
 */
@Processor(QueueName.WebhookDelivery, { autorun: false, concurrency: WEBHOOK_CONCURRENCY })
export class WebhookDeliveryProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookDeliveryProcessor');

  constructor(
    private readonly sender: WebhookSender,
    private readonly sweep: WebhookSweep,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.run().catch((error: Error) => this.logger.error(`webhook worker stopped: ${error.message}`));
    this.sweep.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweep.stop();
    await this.worker.close();
  }

  async process(job: Job<WebhookJobData>): Promise<number> {
    if (job.name !== WebhookJobName.Deliver) throw new Error(`unknown job ${job.name}`);
    return this.sender.deliver(job.data.subject);
  }
}
