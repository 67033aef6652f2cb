import { type DynamicModule, Module } from '@nestjs/common';
import { BullMqClient } from './bullmq-client';
import type { BullMqClientOptions } from './messaging-options';

/** Injection token of the event client (`@Inject(FLOW_EVENTS_CLIENT) events: ClientProxy`). */
export const FLOW_EVENTS_CLIENT = 'FLOW_EVENTS_CLIENT';

/** Provides the event client, app-wide, under `FLOW_EVENTS_CLIENT`; it is closed on shutdown. FlowRuntimeModule registers it. */
@Module({})
export class MessagingModule {
  static forRoot(options: BullMqClientOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [{ provide: FLOW_EVENTS_CLIENT, useFactory: () => new BullMqClient(options) }],
      exports: [FLOW_EVENTS_CLIENT],
    };
  }
}
