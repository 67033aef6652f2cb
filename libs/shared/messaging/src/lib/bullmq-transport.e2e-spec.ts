import { randomBytes } from 'node:crypto';
import {
  Controller,
  DynamicModule,
  INestApplicationContext,
  Inject,
  LoggerService,
  Module,
  Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BaseRpcContext, ClientProxy, Ctx, EventPattern, MessagePattern, MicroserviceOptions, Payload } from '@nestjs/microservices';
import {
  ConnectorNeedsReauthEvent,
  FlowAppName,
  FlowEvent,
  ProviderCredentialsRestoredEvent,
  ProvidersChangedEvent,
} from '@flow-oauth/queue-contracts';
import { type Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { BullMqClient } from './bullmq-client';
import { BullMqServer } from './bullmq-server';
import { emitEvent } from './emit-event';
import { instanceEventQueue, sharedEventQueue, subscribersKey } from './event-queues';
import { FLOW_EVENTS_CLIENT, MessagingModule } from './messaging.module';

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const connection = { url: REDIS_URL };
const filePrefix = `test-msg-${randomBytes(4).toString('hex')}`;

// The root config's per-project testTimeout is not applied by jest; the heartbeat test needs > 5 s.
jest.setTimeout(30_000);

/** The `@Ctx()` BullMqServer hands a handler: the job and the event name. */
type BullMqContext = BaseRpcContext<[job: Job, pattern: string]>;
const attemptOf = (ctx: BullMqContext): number => ctx.getArgByIndex(0).attemptsMade + 1;

interface Delivery {
  event: string;
  payload: unknown;
  attempt: number;
  jobId: string | undefined;
}

/** What one consumer instance received; handlers fail on demand to exercise retries. */
class Recorder {
  readonly deliveries: Delivery[] = [];
  failures = 0;

  record(event: string, payload: unknown, ctx: BullMqContext): void {
    this.deliveries.push({ event, payload, attempt: attemptOf(ctx), jobId: ctx.getArgByIndex(0).id });
  }

  of(event: string): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.event === event);
  }
}

@Controller()
class FlowOAuthServerEvents {
  constructor(@Inject(Recorder) private readonly recorder: Recorder) {}

  @EventPattern(FlowEvent.ProvidersChanged)
  async providersChanged(@Payload() payload: ProvidersChangedEvent, @Ctx() ctx: BullMqContext): Promise<void> {
    await Promise.resolve();
    if (payload.changeId === 'reject-once' && attemptOf(ctx) === 1) {
      this.recorder.failures += 1;
      throw new Error('transient failure (rejected promise)');
    }
    this.recorder.record(FlowEvent.ProvidersChanged, payload, ctx);
  }

  @EventPattern(FlowEvent.ConnectorNeedsReauth)
  connectorNeedsReauth(@Payload() payload: ConnectorNeedsReauthEvent, @Ctx() ctx: BullMqContext): void {
    if (payload.reason === 'fail-once' && attemptOf(ctx) === 1) {
      this.recorder.failures += 1;
      throw new Error('transient failure (thrown)');
    }
    this.recorder.record(FlowEvent.ConnectorNeedsReauth, payload, ctx);
  }
}

@Controller()
class TokenRefresherEvents {
  constructor(@Inject(Recorder) private readonly recorder: Recorder) {}

  @EventPattern(FlowEvent.ProviderCredentialsRestored)
  credentialsRestored(@Payload() payload: ProviderCredentialsRestoredEvent, @Ctx() ctx: BullMqContext): void {
    this.recorder.record(FlowEvent.ProviderCredentialsRestored, payload, ctx);
  }
}

@Controller()
class UnknownEventHandler {
  @EventPattern('providers.deleted')
  handle(): void {
    return undefined;
  }
}

@Controller()
class RequestResponseHandler {
  @MessagePattern(FlowEvent.ProvidersChanged)
  handle(): string {
    return 'answer';
  }
}

@Controller()
class NotRoutedHandler {
  @EventPattern(FlowEvent.ConnectorNeedsReauth)
  handle(): void {
    return undefined;
  }
}

@Module({})
class ConsumerModule {
  static register(controller: Type, recorder: Recorder): DynamicModule {
    return {
      module: ConsumerModule,
      controllers: [controller],
      providers: [{ provide: Recorder, useValue: recorder }],
    };
  }
}

interface Consumer {
  app: INestApplicationContext;
  recorder: Recorder;
  instanceId: string;
}

type ConsumerKind = 'microservice' | 'hybrid';

const groupControllers: Partial<Record<FlowAppName, Type>> = {
  'flow-oauth-server': FlowOAuthServerEvents,
  'token-refresher': TokenRefresherEvents,
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `condition` holds; fails after `timeoutMs` (a bound, not a speed assertion). */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await sleep(25);
  }
}

describe('BullMQ event transport (real Redis, real Nest apps)', () => {
  let redis: Redis;
  let prefix: string;
  let testNumber = 0;
  const openApps: INestApplicationContext[] = [];
  let logger: LoggerService | false = false;

  async function startConsumer(
    group: FlowAppName,
    options: { kind?: ConsumerKind; controller?: Type; instanceId?: string } = {},
  ): Promise<Consumer> {
    const instanceId = options.instanceId ?? `${group}-${randomBytes(3).toString('hex')}`;
    const recorder = new Recorder();
    const controller = options.controller ?? groupControllers[group];
    if (!controller) {
      throw new Error(`No test controller for group ${group}`);
    }
    const module = ConsumerModule.register(controller, recorder);
    const strategy = new BullMqServer({ connection, prefix, group, instanceId });
    if (options.kind === 'hybrid') {
      // flow-oauth-server style: an HTTP app with the transport attached (no port needed here).
      const app = await NestFactory.create(module, { logger });
      openApps.push(app);
      app.connectMicroservice<MicroserviceOptions>({ strategy });
      await app.startAllMicroservices();
      await app.init();
      return { app, recorder, instanceId };
    }
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, { strategy, logger });
    openApps.push(app);
    await app.listen();
    return { app, recorder, instanceId };
  }

  async function startEmitter(): Promise<{ app: INestApplicationContext; client: ClientProxy }> {
    const app = await NestFactory.createApplicationContext(MessagingModule.forRoot({ connection, prefix }), { logger });
    openApps.push(app);
    return { app, client: app.get<ClientProxy>(FLOW_EVENTS_CLIENT) };
  }

  async function close(app: INestApplicationContext): Promise<void> {
    openApps.splice(openApps.indexOf(app), 1);
    await app.close();
  }

  async function jobCounts(queueName: string): Promise<Record<string, number>> {
    const queue = new Queue(queueName, { connection: { ...connection, maxRetriesPerRequest: null }, prefix });
    try {
      return await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    } finally {
      await queue.close();
    }
  }

  async function keysOf(pattern: string): Promise<string[]> {
    return redis.keys(`${pattern}*`);
  }

  function providersChanged(changeId: string): ProvidersChangedEvent {
    return {
      changeId,
      at: new Date().toISOString(),
      added: [{ type: 'google_gmail', provider: 'Gmail-1' }],
      updated: [],
      deleted: [{ type: 'slack', provider: 'Slack-old' }],
    };
  }

  function needsReauth(connectorId: string, reason = 'invalid_grant'): ConnectorNeedsReauthEvent {
    return { connectorId, reason, at: new Date().toISOString() };
  }

  function credentialsRestored(providerId: string): ProviderCredentialsRestoredEvent {
    return { providerId, type: 'slack', provider: 'Slack-1', at: new Date().toISOString() };
  }

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  });

  beforeEach(() => {
    // A namespace per test: queues and registrations of one test never reach another.
    testNumber += 1;
    prefix = `${filePrefix}-${testNumber}`;
    logger = false;
  });

  afterEach(async () => {
    while (openApps.length > 0) {
      await close(openApps[openApps.length - 1]);
    }
  });

  afterAll(async () => {
    const keys = await redis.keys(`${filePrefix}-*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await redis.quit();
  });

  it('delivers providers.changed to every running flow-oauth-server instance', async () => {
    const serverA = await startConsumer('flow-oauth-server');
    const serverB = await startConsumer('flow-oauth-server', { kind: 'hybrid' });
    const { client } = await startEmitter();
    const payload = providersChanged('change-1');

    await emitEvent(client, FlowEvent.ProvidersChanged, payload);

    const consumers = [serverA, serverB];
    await waitFor('every instance to get providers.changed', () =>
      consumers.every((consumer) => consumer.recorder.of(FlowEvent.ProvidersChanged).length > 0),
    );
    for (const consumer of consumers) {
      expect(consumer.recorder.of(FlowEvent.ProvidersChanged).map((delivery) => delivery.payload)).toEqual([payload]);
    }
    const jobIds = consumers.map((consumer) => consumer.recorder.deliveries[0].jobId);
    expect(new Set(jobIds).size).toBe(2);
  });

  it('delivers each provider.credentials_restored to exactly one of two running instances', async () => {
    const refresherA = await startConsumer('token-refresher');
    const refresherB = await startConsumer('token-refresher');
    const { client } = await startEmitter();
    const providerIds = Array.from({ length: 10 }, (_, index) => `provider-${index}`);

    for (const providerId of providerIds) {
      await emitEvent(client, FlowEvent.ProviderCredentialsRestored, credentialsRestored(providerId));
    }

    const received = (): Delivery[] => [...refresherA.recorder.deliveries, ...refresherB.recorder.deliveries];
    await waitFor('all ten events to be handled', async () => {
      const counts = await jobCounts(sharedEventQueue('token-refresher'));
      return counts['completed'] === 10;
    });
    const counts = await jobCounts(sharedEventQueue('token-refresher'));
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 10, failed: 0 });
    const handledIds = received().map((delivery) => (delivery.payload as ProviderCredentialsRestoredEvent).providerId);
    expect(handledIds.sort()).toEqual([...providerIds].sort());
  });

  it('keeps provider.credentials_restored while no instance runs and delivers it to the first one that starts', async () => {
    const { client } = await startEmitter();
    const payload = credentialsRestored('provider-offline');

    await emitEvent(client, FlowEvent.ProviderCredentialsRestored, payload);
    expect((await jobCounts(sharedEventQueue('token-refresher')))['waiting']).toBe(1);

    const refresher = await startConsumer('token-refresher');
    await waitFor('the stored event to be handled', () => refresher.recorder.deliveries.length > 0);
    expect(refresher.recorder.of(FlowEvent.ProviderCredentialsRestored).map((delivery) => delivery.payload)).toEqual([payload]);
  });

  it('drops a broadcast event that has no live subscriber instead of storing it', async () => {
    const { client } = await startEmitter();

    const jobIds: unknown = await lastValueFrom(client.emit(FlowEvent.ProvidersChanged, providersChanged('nobody')));

    expect(jobIds).toEqual([]);
    expect(await keysOf(`${prefix}:events.`)).toEqual([]);
  });

  it('retries a handler that throws, and the retry succeeds', async () => {
    const server = await startConsumer('flow-oauth-server');
    const { client } = await startEmitter();

    await emitEvent(client, FlowEvent.ConnectorNeedsReauth, needsReauth('connector-flaky', 'fail-once'));

    await waitFor('the retried event to be handled', () => server.recorder.deliveries.length > 0);
    expect(server.recorder.failures).toBe(1);
    expect(server.recorder.deliveries.map((delivery) => delivery.attempt)).toEqual([2]);
  });

  it('retries a handler whose promise rejects, on a broadcast queue too', async () => {
    const server = await startConsumer('flow-oauth-server');
    const { client } = await startEmitter();
    const payload = providersChanged('reject-once');

    await emitEvent(client, FlowEvent.ProvidersChanged, payload);

    await waitFor('the retried event to be handled', () => server.recorder.deliveries.length > 0);
    expect(server.recorder.failures).toBe(1);
    expect(server.recorder.deliveries).toEqual([expect.objectContaining({ payload, attempt: 2 })]);
  });

  it('answers send() with a clear error and refuses an event outside the routing table', async () => {
    const { client } = await startEmitter();

    await expect(lastValueFrom(client.send(FlowEvent.ProvidersChanged, {}))).rejects.toThrow(
      'BullMqClient carries events only: send(providers.changed) (request/response) is not supported, use emit()',
    );
    await expect(lastValueFrom(client.emit('providers.deleted', {}))).rejects.toThrow(
      'Unknown event "providers.deleted": it is not in FLOW_EVENT_ROUTES',
    );
  });

  it.each([
    ['an unknown event', 'flow-oauth-server', UnknownEventHandler, '@EventPattern(providers.deleted): unknown event'],
    ['a request/response handler', 'flow-oauth-server', RequestResponseHandler, 'carries events only'],
    [
      'an event routed to another group',
      'token-refresher',
      NotRoutedHandler,
      '@EventPattern(connector.needs_reauth): the event is not routed to group token-refresher',
    ],
  ] as const)('refuses to start a server with a handler for %s', async (_, group, controller, message) => {
    await expect(startConsumer(group, { controller, instanceId: 'misconfigured' })).rejects.toThrow(message);
    expect(await redis.zscore(subscribersKey(prefix, group), 'misconfigured')).toBeNull();
  });

  it('close() deregisters the instance and removes its private queue', async () => {
    const server = await startConsumer('flow-oauth-server');
    const { client } = await startEmitter();
    const registry = subscribersKey(prefix, 'flow-oauth-server');
    const queueKeys = `${prefix}:${instanceEventQueue('flow-oauth-server', server.instanceId)}:`;
    await emitEvent(client, FlowEvent.ProvidersChanged, providersChanged('before-close'));
    await waitFor('the event to be handled', () => server.recorder.deliveries.length > 0);
    expect(await redis.zscore(registry, server.instanceId)).not.toBeNull();
    expect(await keysOf(queueKeys)).not.toEqual([]);

    await close(server.app);

    expect(await redis.zscore(registry, server.instanceId)).toBeNull();
    expect(await keysOf(queueKeys)).toEqual([]);
    const jobIds: unknown = await lastValueFrom(client.emit(FlowEvent.ProvidersChanged, providersChanged('after')));
    expect(jobIds).toEqual([]);
  });

  it('ignores subscribers not seen for 15 s, prunes them and removes their queues', async () => {
    const registry = subscribersKey(prefix, 'flow-oauth-server');
    const ghostQueue = instanceEventQueue('flow-oauth-server', 'ghost');
    // A crashed instance: registered long ago, with an event left in its queue.
    await redis.zadd(registry, 0, 'ghost');
    const queue = new Queue(ghostQueue, { connection: { ...connection, maxRetriesPerRequest: null }, prefix });
    await queue.add(FlowEvent.ProvidersChanged, { pattern: FlowEvent.ProvidersChanged, data: {} });
    await queue.close();
    expect(await keysOf(`${prefix}:${ghostQueue}:`)).not.toEqual([]);
    const server = await startConsumer('flow-oauth-server');
    const { client } = await startEmitter();

    const jobIds: unknown = await lastValueFrom(client.emit(FlowEvent.ProvidersChanged, providersChanged('prune')));

    expect(jobIds).toHaveLength(1);
    expect(await redis.zscore(registry, 'ghost')).toBeNull();
    expect(await redis.zscore(registry, server.instanceId)).not.toBeNull();
    await waitFor('the ghost queue to be removed', async () => (await keysOf(`${prefix}:${ghostQueue}:`)).length === 0);
    await waitFor('the live instance to get the event', () => server.recorder.deliveries.length > 0);
  });

  it('re-registers a running instance at its next heartbeat after it was pruned', async () => {
    const server = await startConsumer('flow-oauth-server');
    const registry = subscribersKey(prefix, 'flow-oauth-server');
    // What an emitter does to an instance whose heartbeats stopped reaching Redis for a while.
    expect(await redis.zrem(registry, server.instanceId)).toBe(1);

    await waitFor('the heartbeat to register the instance again', async () => {
      return (await redis.zscore(registry, server.instanceId)) !== null;
    });
  });

  it('MessagingModule closes its client when the application shuts down', async () => {
    const { app, client } = await startEmitter();
    await client.connect();
    expect(await firstValueFrom(client.status)).toBe('connected');

    await close(app);

    expect(await firstValueFrom(client.status)).toBe('disconnected');
  });

  it('logs event names and job ids but never payloads', async () => {
    const lines: string[] = [];
    const sink = (...parts: unknown[]): void => {
      lines.push(parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '));
    };
    logger = { log: sink, error: sink, warn: sink, debug: sink, verbose: sink, fatal: sink };
    const server = await startConsumer('flow-oauth-server');
    const { client } = await startEmitter();
    const secret = `secret-${randomBytes(8).toString('hex')}`;

    await emitEvent(client, FlowEvent.ConnectorNeedsReauth, needsReauth(secret, 'fail-once'));
    await waitFor('the event to be handled', () => server.recorder.deliveries.length > 0);

    const jobId = server.recorder.deliveries[0].jobId ?? 'no job id';
    const log = lines.join('\n');
    expect(log).toContain(`Event connector.needs_reauth job ${jobId} failed, attempt 1/5`);
    expect(log).toContain(`Handling event connector.needs_reauth job ${jobId}`);
    expect(log).not.toContain(secret);
  });

  it('fails with a clear error when Redis is unreachable', async () => {
    const unreachable = { url: 'redis://127.0.0.1:1' };
    const client = new BullMqClient({ connection: unreachable, prefix, connectTimeoutMs: 300 });
    const server = new BullMqServer({
      connection: unreachable,
      prefix,
      group: 'flow-oauth-server',
      connectTimeoutMs: 300,
    });

    await expect(emitEvent(client, FlowEvent.ConnectorNeedsReauth, needsReauth('x'))).rejects.toThrow(
      'BullMqClient: Redis is not reachable, not ready after 300 ms',
    );
    const listened = new Promise<unknown>((resolve) => server.listen(resolve));
    expect(String(await listened)).toContain('BullMqServer: Redis is not reachable, not ready after 300 ms');
    await client.close();
    await server.close();
  });
});
