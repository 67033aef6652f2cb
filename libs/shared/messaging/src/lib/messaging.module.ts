import { DynamicModule, InjectionToken, Module, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import { BullMqClient } from './bullmq-client';
import type { BullMqClientOptions } from './messaging-options';

/** Injection token of the event client (`@Inject(FLOW_EVENTS_CLIENT) events: ClientProxy`). */
export const FLOW_EVENTS_CLIENT = 'FLOW_EVENTS_CLIENT';

/** Options of `MessagingModule.forRootAsync`, e.g. to read the Redis URL from the config service. */
export interface MessagingModuleAsyncOptions<Deps extends unknown[] = unknown[]> {
  imports?: ModuleMetadata['imports'];
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...deps: Deps) => BullMqClientOptions | Promise<BullMqClientOptions>;
}

/** Provides the event client, app-wide, under `FLOW_EVENTS_CLIENT`; it is closed on shutdown. */
@Module({})
export class MessagingModule {
  /** Registers the client with fixed options. */
  static forRoot(options: BullMqClientOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [{ provide: FLOW_EVENTS_CLIENT, useFactory: () => new BullMqClient(options) }],
      exports: [FLOW_EVENTS_CLIENT],
    };
  }

  /** Registers the client with options computed from injected providers. */
  static forRootAsync<Deps extends unknown[]>(options: MessagingModuleAsyncOptions<Deps>): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: FLOW_EVENTS_CLIENT,
          inject: options.inject ?? [],
          useFactory: async (...deps: Deps) => new BullMqClient(await options.useFactory(...deps)),
        },
      ],
      exports: [FLOW_EVENTS_CLIENT],
    };
  }
}
