import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QueueName } from '@flow-oauth/queue-contracts';
import { WebhookDeliveryProducer } from './webhook-delivery.producer';
import { WebhookOutbox } from './webhook-outbox';
import { WebhookSender } from './webhook-sender';
import { WebhookSweep } from './webhook-sweep';

/** The webhook outbox, its job producer, the sender and the sweep (started by token-refresher only). Needs BullModule.forRoot. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.WebhookDelivery })],
  providers: [WebhookOutbox, WebhookDeliveryProducer, WebhookSender, WebhookSweep],
  exports: [WebhookOutbox, WebhookDeliveryProducer, WebhookSender, WebhookSweep, BullModule],
})
export class WebhooksModule {}
