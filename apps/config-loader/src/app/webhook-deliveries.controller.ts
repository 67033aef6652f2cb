import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ApiAnswer } from '@flow-oauth/api-docs';
import { parseDeliveryFilter, WebhookOutbox } from '@flow-oauth/webhooks';
import { ApiQuery, ApiTags } from '@nestjs/swagger';

/** Webhook deliveries and their outcomes, newest first: `GET /api/webhooks/deliveries[?status=&event=&connector=&limit=]`. */
@ApiTags('webhooks')
@Controller('api/webhooks/deliveries')
@Roles('admin')
export class WebhookDeliveriesController {
  constructor(private readonly outbox: WebhookOutbox) {}

  @Get()
  @ApiAnswer(200, 'WebhookDelivery', { list: true, description: 'Deliveries, newest first' })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'delivered', 'failed'] })
  @ApiQuery({ name: 'event', required: false })
  @ApiQuery({ name: 'connector', required: false, description: 'a connector id' })
  @ApiQuery({ name: 'subject', required: false, description: 'connector:<id> or provider:<id>' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  list(@Query() query: Record<string, unknown>) {
    return this.outbox.list(parseDeliveryFilter(query));
  }
}
