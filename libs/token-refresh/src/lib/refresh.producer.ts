import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { withDeadline } from '@flow-oauth/deadline';
import { QueueName, REFRESH_JOB_OPTIONS, type RefreshJobData, type RefreshReason, refreshJobId, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import { REDIS } from '@flow-oauth/redis';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectorDueAt } from './refresh-schedule';

/** What scheduling needs to know of a connector. */
export interface SchedulableConnector {
  id: string;
  expiresAt: string | null;
  tokenVersion: number;
  /** When the tokens were written (their issue time, near enough). */
  updatedAt: string;
  /** The stored next refresh time (null: never refreshed); computed from the expiry when not given. */
  nextRefreshAt?: string | null;
}

export interface ScheduleOptions {
  /**
   * The id of the refresh job this scheduling runs in, if any: it is not removed (it completes by
   * itself), and the connector's token version was just written by that refresh.
   */
  runningJobId?: string;
}

/** A connector whose refresh job the sweep makes sure of. */
export interface DueConnector {
  id: string;
  tokenVersion: number;
  /** ISO 8601 due time. */
  nextRefreshAt: string;
}

/** The token version a refresh job was queued for (its id ends in `-v<version>`). */
export function jobTokenVersion(jobId: string | undefined): number | undefined {
  const match = /-v(\d+)$/.exec(jobId ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Puts each connector's refresh job on the queue token-refresher consumes, due at its next refresh
 * time. The job id carries the token version, so a job never has to replace itself while running,
 * and the previous version's pending job is removed: one pending job per connector.
 */
@Injectable()
export class RefreshProducer {
  private readonly logger = new Logger('RefreshProducer');

  constructor(
    @InjectQueue(QueueName.TokenRefresh) private readonly queue: Queue<RefreshJobData>,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The job id of a connector's refresh job at a token version. */
  static jobId(connectorId: string, tokenVersion: number): string {
    return `${refreshJobId(connectorId)}-v${tokenVersion}`;
  }

  /**
   * Schedules the refresh of a connector with a next refresh time (no-op for tokens that are never
   * refreshed). BullMQ waits for Redis indefinitely; callers on a request path get an error after 3 s instead.
   */
  async schedule(connector: SchedulableConnector, reason: RefreshReason, options: ScheduleOptions = {}): Promise<void> {
    await withDeadline(this.scheduleNow(connector, reason, options), 3000, 'Redis did not answer while scheduling a refresh job');
  }

  private async scheduleNow(connector: SchedulableConnector, reason: RefreshReason, options: ScheduleOptions): Promise<void> {
    if (tokenVersionGone(connector)) return;
    const previous = connector.tokenVersion > 0 ? RefreshProducer.jobId(connector.id, connector.tokenVersion - 1) : undefined;
    // The job running this refresh cannot be removed (BullMQ refuses, it is locked): it completes by itself.
    const removing = previous !== undefined && previous !== options.runningJobId ? this.removeVersion(connector.id, connector.tokenVersion - 1) : undefined;
    const due = connectorDueAt(connector, this.config.refreshMarginSeconds);
    if (!Number.isFinite(due)) {
      await removing;
      return;
    }
    const jobId = RefreshProducer.jobId(connector.id, connector.tokenVersion);
    if (options.runningJobId === undefined) {
      // BullMQ ignores an add whose id it still keeps (completed or failed history): clear that first.
      // (Asked while the removal above is in flight: one round trip for both.) Skipped when a refresh
      // job schedules the token version it has just written: no job of that version can have run
      // (versions only grow), and should one have (a database restored from a backup), the sweep
      // re-creates a finished job of a due connector anyway.
      const [kept] = await Promise.all([this.queue.getJob(jobId), removing]);
      if (kept && ((await kept.isCompleted()) || (await kept.isFailed()))) await kept.remove().catch(() => undefined);
    } else await removing;
    await this.queue.add(
      TokenRefreshJobName.RefreshConnector,
      { connectorId: connector.id, reason, dueAt: new Date(due).toISOString() },
      { ...REFRESH_JOB_OPTIONS, jobId, delay: Math.max(0, due - Date.now()) },
    );
  }

  /**
   * Makes sure each connector has a pending refresh job for its current token version, in a fixed
   * number of Redis round trips whatever the batch size: one pipeline reads every job's state, one
   * removes the finished ones (BullMQ would ignore a re-add under a kept id), one addBulk re-creates
   * them. Returns how many jobs were re-created.
   */
  async ensureJobs(connectors: DueConnector[]): Promise<number> {
    if (connectors.length === 0) return 0;
    const ids = connectors.map((c) => RefreshProducer.jobId(c.id, c.tokenVersion));
    // The job hashes live at the queue's own keys (QueueBase.toKey), in the same Redis.
    const read = this.redis.pipeline();
    // A job hash always has `timestamp`; `finishedOn` is set once it completed or failed.
    for (const id of ids) read.hmget(this.queue.toKey(id), 'timestamp', 'finishedOn');
    const states = (await read.exec()) ?? [];
    const finished: string[] = [];
    const missing: DueConnector[] = [];
    connectors.forEach((connector, i) => {
      const [error, value] = states[i] ?? [new Error('no answer'), null];
      if (error) throw error;
      const [timestamp, finishedOn] = value as [string | null, string | null];
      if (timestamp !== null && finishedOn === null) return;
      if (timestamp !== null) finished.push(ids[i]);
      missing.push(connector);
    });
    if (missing.length === 0) return 0;
    // Removing a finished job is a Lua script per job; issued together they share the connection's round trips.
    await Promise.all(finished.map((id) => this.queue.remove(id).catch((e: Error) => this.logger.debug(`could not remove finished job ${id}: ${e.message}`))));
    const now = Date.now();
    await this.queue.addBulk(
      missing.map((c) => ({
        name: TokenRefreshJobName.RefreshConnector,
        data: { connectorId: c.id, reason: 'sweep' as const, dueAt: c.nextRefreshAt },
        opts: { ...REFRESH_JOB_OPTIONS, jobId: RefreshProducer.jobId(c.id, c.tokenVersion), delay: Math.max(0, Date.parse(c.nextRefreshAt) - now) },
      })),
    );
    return missing.length;
  }

  /** Removes a connector's pending refresh job (connector deleted or tokens purged); gives up after 3 s without Redis. */
  async cancel(connector: Pick<SchedulableConnector, 'id' | 'tokenVersion'>): Promise<void> {
    const work = (async () => {
      await this.removeVersion(connector.id, connector.tokenVersion);
      if (connector.tokenVersion > 0) await this.removeVersion(connector.id, connector.tokenVersion - 1);
    })();
    await withDeadline(work, 3000, 'Redis did not answer while removing a refresh job');
  }

  private async removeVersion(connectorId: string, version: number): Promise<void> {
    try {
      await this.queue.remove(RefreshProducer.jobId(connectorId, version));
    } catch (error) {
      // A job that is running right now cannot be removed; it re-reads the connector and does nothing harmful.
      this.logger.debug(`could not remove refresh job of ${connectorId}: ${(error as Error).message}`);
    }
  }
}

function tokenVersionGone(connector: SchedulableConnector): boolean {
  return !Number.isInteger(connector.tokenVersion) || connector.tokenVersion < 0;
}
