import { type DynamicModule, Global, Module } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from './flow-config';
import { loadConfig } from './load-config';

/** Makes the validated FlowConfig injectable (`@Inject(FLOW_CONFIG)`) everywhere in an app. */
@Global()
@Module({})
export class FlowConfigModule {
  /** Uses the given config, or loads it from the environment once. */
  static forRoot(config?: FlowConfig): DynamicModule {
    return {
      module: FlowConfigModule,
      providers: [{ provide: FLOW_CONFIG, useFactory: () => config ?? loadConfig() }],
      exports: [FLOW_CONFIG],
    };
  }
}
