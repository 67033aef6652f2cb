import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { QueueName, type RefreshJobData } from '@flow-oauth/queue-contracts';
import { REDIS } from '@flow-oauth/redis';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RefreshSweep, type SweepResult } from './refresh-sweep';

/** The BullMQ job scheduler earlier releases ran the sweep with; removed at start-up. */
export const LEGACY_SWEEP_SCHEDULER_ID = 'refresh-sweep';

/**
 * Which token-refresher runs the sweep of a time slot. Redis today (SET NX on the slot's key); a
 * PostgreSQL-only deployment will bring its own implementation.
 */
export abstract class SweepTurn {
  /** True for exactly one caller per slot (until the slot's key is lost with Redis's data). */
  abstract take(slot: number, ttlMs: number): Promise<boolean>;
}

/** SweepTurn on Redis: one key per slot, set if absent, expiring after the slot. */
@Injectable()
export class RedisSweepTurn extends SweepTurn {
  private readonly owner = randomBytes(8).toString('hex');

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  async take(slot: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.config.queuePrefix}:sweep-turn:${slot}`, this.owner, 'PX', ttlMs, 'NX')) === 'OK';
  }
}

/**
 * Runs the sweep once per REFRESH_SWEEP_SECONDS across all token-refresher processes. Each process
 * has its own timer and the time is cut into slots; the first process to reach a slot takes its
 * turn in Redis and sweeps. Nothing it depends on lives only in Redis: after Redis lost its data
 * (FLUSHDB, a restart without persistence) the next slot's sweep re-creates every lost refresh
 * job, with no process restarted. (A BullMQ job scheduler would be lost with the data itself.)
 */
@Injectable()
export class SweepTimer {
  private readonly logger = new Logger('SweepTimer');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastSlot = -1;

  constructor(
    private readonly sweep: RefreshSweep,
    private readonly turn: SweepTurn,
    @InjectQueue(QueueName.TokenRefresh) private readonly queue: Queue<RefreshJobData>,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** Starts ticking (and sweeps now if this slot's sweep has not run yet). */
  async start(): Promise<void> {
    await this.queue.removeJobScheduler(LEGACY_SWEEP_SCHEDULER_ID).catch((e: Error) => this.logger.warn(`could not remove the old sweep scheduler: ${e.message}`));
    const interval = this.intervalMs();
    // A few checks per slot, so a slot's sweep starts soon after the slot does, whichever process is first.
    this.timer = setInterval(() => this.tick(), Math.max(250, Math.floor(interval / 4)));
    this.timer.unref();
    this.tick();
  }

  /** Stops ticking and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private intervalMs(): number {
    return this.config.refreshSweepSeconds * 1000;
  }

  private tick(): void {
    const slot = Math.floor(Date.now() / this.intervalMs());
    if (this.running || slot === this.lastSlot || !this.timer) return;
    this.running = this.sweepSlot(slot).finally(() => {
      this.running = undefined;
    });
  }

  private async sweepSlot(slot: number): Promise<void> {
    try {
      if (!(await this.turn.take(slot, 2 * this.intervalMs()))) {
        this.lastSlot = slot;
        return;
      }
      this.lastSlot = slot;
      const result: SweepResult = await this.sweep.run();
      this.logger.debug(`sweep: read ${result.read}, re-created ${result.recreated}, cleared ${result.cleared}`);
    } catch (error) {
      // Redis did not answer: lastSlot stays, so the next tick tries again. A sweep that failed
      // after taking its turn is retried in the next slot.
      this.logger.error(`sweep failed: ${(error as Error).message}`);
    }
  }
}
