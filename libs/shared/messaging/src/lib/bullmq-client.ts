import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { DEFAULT_JOB_OPTIONS, EventRoute, routesOf } from '@flow-oauth/queue-contracts';
import { FlowJob, FlowProducer } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BullMqStatus, BullMqTransportEvents } from './bullmq-server';
import { assertKeySegment, instanceEventQueue, obliterateQueue, sharedEventQueue } from './event-queues';
import { BullMqClientOptions, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MESSAGING_PREFIX } from './messaging-options';
import { closeRedis, createRedis, waitForReady } from './redis-connection';
import { SubscriberRegistry } from './subscriber-registry';

interface Connected {
  redis: Redis;
  producer: FlowProducer;
  registry: SubscriberRegistry;
}

/**
 * Nest `ClientProxy` that emits Flow OAuth events as BullMQ jobs: one job on the group's shared
 * queue for a 'one' route, one job per live instance queue for a 'broadcast' route, all added
 * atomically. `emit()` completes once Redis has accepted every job. Request/response is not
 * supported.
 */
export class BullMqClient
  extends ClientProxy<BullMqTransportEvents, BullMqStatus>
  implements OnApplicationShutdown
{
  private readonly logger = new Logger(BullMqClient.name);
  private readonly prefix: string;
  private readonly pendingCleanups = new Set<Promise<void>>();
  private connection?: Connected;
  private connecting?: Promise<void>;

  constructor(private readonly options: BullMqClientOptions) {
    super();
    this.prefix = options.prefix ?? DEFAULT_MESSAGING_PREFIX;
    assertKeySegment(this.prefix, 'BullMqClient prefix');
    this.initializeSerializer(undefined);
  }

  /** Connects to Redis once; fails with a clear error when Redis is not ready in time. */
  connect(): Promise<void> {
    this.connecting ??= this.open().catch(async (error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Waits for pending clean-ups and closes the Redis connection. Safe to call twice. */
  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    await connecting?.catch(() => undefined);
    await Promise.allSettled([...this.pendingCleanups]);
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      await connection.producer.close().catch((error: unknown) => this.logger.warn(`Close: ${String(error)}`));
      await closeRedis(connection.redis);
      this._status$.next('disconnected');
    }
  }

  /** Closes the client when the Nest application shuts down. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Required by Nest's `ClientProxy`; the producer is not handed out. */
  unwrap<T>(): T {
    throw new Error('BullMqClient does not expose its BullMQ producer');
  }

  /** Request/response is not carried: answers every `send()` with an error. */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const pattern = this.normalizePattern(packet.pattern);
    callback({
      err: new Error(
        `BullMqClient carries events only: send(${pattern}) (request/response) is not supported, use emit()`,
      ),
      isDisposed: true,
    });
    return () => undefined;
  }

  /** Adds one job per target queue of the event, atomically; resolves with the job ids. */
  protected async dispatchEvent<T = string[]>(packet: ReadPacket): Promise<T> {
    const name = this.normalizePattern(packet.pattern);
    const routes = routesOf(name);
    if (!routes) {
      throw new Error(`Unknown event "${name}": it is not in FLOW_EVENT_ROUTES of @flow-oauth/queue-contracts`);
    }
    const connection = this.requireConnection();
    const targets = (await Promise.all(routes.map((route) => this.targetQueues(route, connection)))).flat();
    if (targets.length === 0) {
      this.logger.debug(`Event ${name}: no live subscriber, nothing to deliver`);
      return [] as T;
    }
    const data: unknown = this.serializer.serialize(packet);
    const flows: FlowJob[] = targets.map((queueName) => ({
      name,
      queueName,
      data,
      opts: { ...DEFAULT_JOB_OPTIONS, backoff: { ...DEFAULT_JOB_OPTIONS.backoff } },
    }));
    const nodes = await connection.producer.addBulk(flows);
    const ids = nodes.map((node) => node.job.id ?? '');
    this.logger.debug(`Event ${name}: job(s) ${ids.join(', ')}`);
    return ids as T;
  }

  private async open(): Promise<void> {
    const redis = createRedis(this.options.connection, 'flow-events-client');
    redis.on('error', (error: Error) => this.reportError(error));
    try {
      await waitForReady(redis, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'BullMqClient');
      // Shares the connection: a FlowProducer never blocks, and the client then owns one socket.
      const producer = new FlowProducer({ connection: redis, prefix: this.prefix });
      producer.on('error', (error: Error) => this.reportError(error));
      await producer.waitUntilReady();
      this.connection = { redis, producer, registry: new SubscriberRegistry(redis, this.prefix) };
      this._status$.next('connected');
    } catch (error: unknown) {
      redis.disconnect();
      throw error;
    }
  }

  private requireConnection(): Connected {
    if (!this.connection) {
      throw new Error('BullMqClient is closed');
    }
    return this.connection;
  }

  private async targetQueues(route: EventRoute, connection: Connected): Promise<string[]> {
    if (route.delivery === 'one') {
      return [sharedEventQueue(route.group)];
    }
    const { live, stale } = await connection.registry.snapshot(route.group);
    for (const instanceId of stale) {
      this.removeStaleQueue(connection.redis, route.group, instanceId);
    }
    return live.map((instanceId) => instanceEventQueue(route.group, instanceId));
  }

  /** A subscriber that stopped without closing (crash, kill -9) leaves its queue behind. */
  private removeStaleQueue(redis: Redis, group: string, instanceId: string): void {
    this.logger.log(`Pruned subscriber ${instanceId} of group ${group}: not seen for too long`);
    const cleanup: Promise<void> = obliterateQueue(redis, this.prefix, instanceEventQueue(group, instanceId))
      .catch((error: unknown) => this.logger.warn(`Could not remove the queue of ${instanceId}: ${String(error)}`))
      .finally(() => this.pendingCleanups.delete(cleanup));
    this.pendingCleanups.add(cleanup);
  }

  private reportError(error: Error): void {
    this.logger.error(`Transport error: ${error.message}`);
  }
}
