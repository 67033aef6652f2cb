import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { withDeadline } from '@flow-oauth/deadline';
import type { Queue } from 'bullmq';
import { Gauge, Registry } from 'prom-client';

const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed'] as const;
/** A scrape must answer while Redis is down (BullMQ's connection would wait for it forever). */
const SCRAPE_TIMEOUT_MS = 2000;

/** `flow_queue_jobs{queue, state}`: each queue's job counts, read from Redis at every scrape. */
export class QueueDepthMetrics {
  private readonly logger = new Logger('QueueDepthMetrics');

  constructor(registry: Registry, queues: Queue[]) {
    const logger = this.logger;
    new Gauge({
      name: 'flow_queue_jobs',
      help: 'BullMQ jobs by queue and state (waiting, prioritized, delayed, active, failed, completed), read at scrape time',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        await Promise.all(
          queues.map(async (queue) => {
            try {
              const counts = await withDeadline(queue.getJobCounts(...JOB_STATES), SCRAPE_TIMEOUT_MS);
              for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
            } catch (error) {
              // No figure rather than a stale one: the series vanish until Redis answers again.
              for (const state of JOB_STATES) this.remove({ queue: queue.name, state });
              logger.warn(`queue ${queue.name} depth not read for /metrics: ${(error as Error).message}`);
            }
          }),
        );
      },
    });
  }
}

/** Exposes the depth of the named BullMQ work queues (needs the app's BullModule root connection). */
@Module({})
export class QueueMetricsModule {
  static forQueues(names: string[]): DynamicModule {
    return {
      module: QueueMetricsModule,
      imports: [BullModule.registerQueue(...names.map((name) => ({ name })))],
      providers: [
        {
          provide: QueueDepthMetrics,
          inject: [Registry, ...names.map((name) => getQueueToken(name))],
          useFactory: (registry: Registry, ...queues: Queue[]) => new QueueDepthMetrics(registry, queues),
        },
      ],
    };
  }
}
