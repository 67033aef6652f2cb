import { Logger } from '@nestjs/common';
import { settleWithin } from '@flow-oauth/deadline';
import { BaseRpcContext, CustomTransportStrategy, Server } from '@nestjs/microservices';
import { EventDelivery, FlowAppName, routesOf } from '@flow-oauth/queue-contracts';
import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import {
  assertKeySegment,
  defaultInstanceId,
  instanceEventQueue,
  obliterateQueue,
  sharedEventQueue,
} from './event-queues';
import {
  BullMqServerOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MESSAGING_PREFIX,
} from './messaging-options';
import { bullMqConnection, closeRedis, createRedis, waitForReady } from './redis-connection';
import { HEARTBEAT_INTERVAL_MS, SubscriberRegistry } from './subscriber-registry';

/** Connection state reported by `status` of the BullMQ server and client. */
export type BullMqStatus = 'connected' | 'disconnected';

/** Transport id of the BullMQ transport (Nest's processing hooks name the transport by it). */
const BULLMQ_TRANSPORT = Symbol('BULLMQ_TRANSPORT');

/** What Nest hands an `@EventPattern` handler as `@Ctx()`: the BullMQ job and the event name (no handler reads it). */
type EventContext = BaseRpcContext<[job: Job, pattern: string]>;

/** Nest's transport event map: the BullMQ transport reports its errors in the log only, so there is nothing to listen to. */
export type BullMqTransportEvents = Record<never, never>;

type EventJob = Job<unknown, void, string>;

// Redis commands run while closing must not stall shutdown when Redis is gone.
const CLOSE_STEP_TIMEOUT_MS = 2_000;
/** How long a worker may take to finish its running handler on close before it is forced. */
const WORKER_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Nest microservice transport that consumes Flow OAuth events from BullMQ, as the routing table
 * of `@flow-oauth/queue-contracts` says: a durable queue shared by the group for 'one' events,
 * a private queue per running instance for 'broadcast' events. A handler that throws fails the
 * job, so BullMQ retries it with the job's attempts and backoff.
 */
export class BullMqServer
  extends Server<BullMqTransportEvents, BullMqStatus>
  implements CustomTransportStrategy
{
  override transportId: symbol = BULLMQ_TRANSPORT;
  protected override readonly logger = new Logger(BullMqServer.name);
  private readonly prefix: string;
  private readonly group: FlowAppName;
  private readonly instanceId: string;
  private redis?: Redis;
  private registry?: SubscriberRegistry;
  private workers: Worker<unknown, void, string>[] = [];
  private broadcastQueue?: string;
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatInFlight?: Promise<void>;
  private starting?: Promise<void>;
  private closing?: Promise<void>;

  constructor(private readonly options: BullMqServerOptions) {
    super();
    this.prefix = options.prefix ?? DEFAULT_MESSAGING_PREFIX;
    this.group = options.group;
    this.instanceId = options.instanceId ?? defaultInstanceId();
    assertKeySegment(this.prefix, 'BullMqServer prefix');
    assertKeySegment(this.group, 'BullMqServer group');
    assertKeySegment(this.instanceId, 'BullMqServer instanceId');
    this.initializeDeserializer(undefined);
  }

  /** Starts consuming the queues of the events this server has handlers for. */
  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.starting = this.start();
    this.starting.then(
      () => callback(),
      async (error: unknown) => {
        await this.close().catch(() => undefined);
        callback(error);
      },
    );
  }

  /** Stops the workers (after their current jobs), deregisters the instance, removes its queue. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Required by Nest's `Server`; transport errors (Redis connection, worker) go to the log only. */
  on(): void {
    throw new Error('BullMqServer has no events to listen to: its transport errors are logged');
  }

  /** Required by Nest's `Server`; the workers are not handed out. */
  unwrap<T>(): T {
    throw new Error('BullMqServer does not expose its BullMQ workers');
  }

  private async start(): Promise<void> {
    const queues = this.queuesToConsume();
    this.redis = createRedis(this.options.connection, `flow-events-${this.group}-${this.instanceId}`);
    this.redis.on('error', (error: Error) => this.reportError(error));
    await waitForReady(this.redis, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'BullMqServer');
    this.registry = new SubscriberRegistry(this.redis, this.prefix);

    if (queues.one.length > 0) {
      await this.startWorker(sharedEventQueue(this.group));
    }
    if (queues.broadcast.length > 0) {
      this.broadcastQueue = instanceEventQueue(this.group, this.instanceId);
      await this.startWorker(this.broadcastQueue);
      // The worker runs before the instance is announced, so no broadcast waits for a consumer.
      await this.registry.heartbeat(this.group, this.instanceId);
      this.heartbeatTimer = setInterval(() => this.beat(), HEARTBEAT_INTERVAL_MS);
      this.heartbeatTimer.unref();
    }
    if (queues.one.length + queues.broadcast.length === 0) {
      this.logger.warn(`No @EventPattern handlers: group ${this.group} consumes nothing`);
    }
    this._status$.next('connected');
    this.logger.log(
      `Group ${this.group}, instance ${this.instanceId}: ` +
        `one [${queues.one.join(', ')}], broadcast [${queues.broadcast.join(', ')}]`,
    );
  }

  /** Checks every handler against the routing table; a mismatch is a start-up error. */
  private queuesToConsume(): Record<EventDelivery, string[]> {
    const queues: Record<EventDelivery, string[]> = { one: [], broadcast: [] };
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) {
        throw new Error(
          `BullMqServer carries events only: @MessagePattern(${pattern}) is not supported, use @EventPattern`,
        );
      }
      const routes = routesOf(pattern);
      if (!routes) {
        throw new Error(
          `@EventPattern(${pattern}): unknown event, it is not in FLOW_EVENT_ROUTES of @flow-oauth/queue-contracts`,
        );
      }
      const route = routes.find((candidate) => candidate.group === this.group);
      if (!route) {
        throw new Error(
          `@EventPattern(${pattern}): the event is not routed to group ${this.group} in FLOW_EVENT_ROUTES`,
        );
      }
      queues[route.delivery].push(pattern);
    }
    return queues;
  }

  private async startWorker(queueName: string): Promise<void> {
    const worker = new Worker<unknown, void, string>(queueName, (job) => this.handleJob(job), {
      connection: bullMqConnection(this.options.connection),
      prefix: this.prefix,
      // One event at a time per queue, so an instance sees events in order.
      concurrency: 1,
    });
    this.workers.push(worker);
    worker.on('error', (error: Error) => this.reportError(error));
    worker.on('failed', (job: EventJob | undefined, error: Error) => {
      if (job) {
        const attempts = job.opts.attempts ?? 1;
        this.logger.warn(
          `Event ${job.name} job ${job.id} failed, attempt ${job.attemptsMade}/${attempts}: ${error.message}`,
        );
      }
    });
    await worker.waitUntilReady();
  }

  private async handleJob(job: EventJob): Promise<void> {
    const packet = await this.deserializer.deserialize(job.data, { channel: job.name });
    const handler = this.getHandlerByPattern(job.name);
    if (!handler) {
      // Throwing keeps the event: it is retried and, on the shared queue, may reach an instance
      // that has the handler (e.g. a newer version during a rolling restart).
      throw new Error(`No @EventPattern(${job.name}) handler in group ${this.group}`);
    }
    const context: EventContext = new BaseRpcContext([job, job.name]);
    this.logger.debug(`Handling event ${job.name} job ${job.id}`);
    await this.runInProcessingHooks(context, async () => {
      const result: unknown = await handler(packet.data, context);
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    });
  }

  /** Runs `work` through Nest's processing hooks and settles with the outcome of `work`. */
  private runInProcessingHooks(context: EventContext, work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.onProcessingStartHook(this.transportId, context, async () => {
        try {
          await work();
          resolve();
        } catch (error: unknown) {
          reject(handlerError(error, context.getArgByIndex(1)));
        } finally {
          this.onProcessingEndHook?.(this.transportId, context);
        }
      });
    });
  }

  private beat(): void {
    if (this.heartbeatInFlight || this.closing || !this.registry) {
      return;
    }
    this.heartbeatInFlight = this.registry
      .heartbeat(this.group, this.instanceId)
      .catch((error: unknown) => this.logger.warn(`Heartbeat of instance ${this.instanceId} failed: ${message(error)}`))
      .finally(() => {
        this.heartbeatInFlight = undefined;
      });
  }

  private async shutdown(): Promise<void> {
    // A close during start (a signal while booting) must see every worker that start creates.
    await this.starting?.catch(() => undefined);
    clearInterval(this.heartbeatTimer);
    await settleWithin(this.heartbeatInFlight ?? Promise.resolve(), CLOSE_STEP_TIMEOUT_MS);
    const { redis, registry, broadcastQueue } = this;
    if (registry && broadcastQueue) {
      await this.step('deregister', registry.remove(this.group, this.instanceId));
    }
    // Non-forced first: a handler that is running finishes, so an event is never half-handled. A
    // worker whose blocking connection is stuck (after a Redis outage) is then closed by force.
    await Promise.all(
      this.workers.map(async (worker) => {
        const closed = await settleWithin(worker.close().then(() => true), WORKER_CLOSE_TIMEOUT_MS);
        if (!closed) {
          // close() is already under way and a second close(true) would return the same promise:
          // cut the worker's Redis connections instead.
          this.logger.warn(`Event worker of ${this.group} did not stop in ${WORKER_CLOSE_TIMEOUT_MS} ms; disconnecting it`);
          await settleWithin(worker.disconnect(), CLOSE_STEP_TIMEOUT_MS);
        }
      }),
    );
    if (redis && broadcastQueue) {
      await this.step('remove the instance queue', obliterateQueue(redis, this.prefix, broadcastQueue));
    }
    if (redis) {
      await closeRedis(redis);
    }
    this._status$.next('disconnected');
  }

  private async step(what: string, promise: Promise<void>): Promise<void> {
    const done = await settleWithin(
      promise.then(() => true),
      CLOSE_STEP_TIMEOUT_MS,
    ).catch((error: unknown) => {
      this.logger.warn(`Close: could not ${what}: ${message(error)}`);
      return true;
    });
    if (done === undefined) {
      this.logger.warn(`Close: could not ${what} within ${CLOSE_STEP_TIMEOUT_MS} ms`);
    }
  }

  private reportError(error: Error): void {
    this.logger.error(`Transport error: ${error.message}`);
  }
}

/** Nest's exception filter turns a thrown error into a plain `{ status, message }` object. */
function handlerError(error: unknown, pattern: string): Error {
  return error instanceof Error ? error : new Error(`@EventPattern(${pattern}) handler failed: ${message(error)}`);
}

function message(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}
