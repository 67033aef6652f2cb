import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { parseDeliveryFilter, WebhookOutbox } from '@flow-oauth/webhooks';

/** Webhook deliveries and their outcomes, newest first: `GET /api/webhooks/deliveries[?status=&event=&connector=&limit=]`. */
@Controller('api/webhooks/deliveries')
@Roles('admin')
export class WebhookDeliveriesController {
  constructor(private readonly outbox: WebhookOutbox) {}

  @Get()
  list(@Query() query: Record<string, unknown>) {
    return this.outbox.list(parseDeliveryFilter(query));
  }
}
