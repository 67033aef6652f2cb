import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { QueueName, REFRESH_JOB_OPTIONS, type RefreshJobData, type RefreshReason, refreshJobId, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import type { Queue } from 'bullmq';

/** What scheduling needs to know of a connector. */
export interface SchedulableConnector {
  id: string;
  expiresAt: string | null;
  tokenVersion: number;
  /** When the tokens were written (their issue time, near enough). */
  updatedAt: string;
}

/**
 * When a token is due for refresh: `expires_at - margin`, but never earlier than half its lifetime,
 * so a token that lives no longer than the margin (short PingFederate lifetimes) is not refreshed
 * in a loop.
 */
export function refreshDueAt(connector: Pick<SchedulableConnector, 'expiresAt' | 'updatedAt'>, marginSeconds: number): number {
  const expires = Date.parse(connector.expiresAt as string);
  const issued = Date.parse(connector.updatedAt);
  const lifetime = Number.isFinite(issued) ? Math.max(0, expires - issued) : Infinity;
  return expires - Math.min(marginSeconds * 1000, lifetime / 2);
}

/** The token version a refresh job was queued for (its id ends in `-v<version>`). */
export function jobTokenVersion(jobId: string | undefined): number | undefined {
  const match = /-v(\d+)$/.exec(jobId ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Puts each connector's refresh job on the queue token-refresher consumes, due at
 * `expires_at - margin`. The job id carries the token version, so a job never has to replace
 * itself while running, and the previous version's pending job is removed: one pending job per connector.
 */
@Injectable()
export class RefreshProducer {
  private readonly logger = new Logger('RefreshProducer');

  constructor(
    @InjectQueue(QueueName.TokenRefresh) private readonly queue: Queue<RefreshJobData>,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** The job id of a connector's refresh job at a token version. */
  static jobId(connectorId: string, tokenVersion: number): string {
    return `${refreshJobId(connectorId)}-v${tokenVersion}`;
  }

  /**
   * Schedules the refresh of a connector with an expiry (no-op for tokens that do not expire).
   * BullMQ waits for Redis indefinitely; callers on a request path get an error after 3 s instead.
   */
  async schedule(connector: SchedulableConnector, reason: RefreshReason): Promise<void> {
    await withDeadline(this.scheduleNow(connector, reason), 3000, 'Redis did not answer while scheduling a refresh job');
  }

  private async scheduleNow(connector: SchedulableConnector, reason: RefreshReason): Promise<void> {
    if (tokenVersionGone(connector)) return;
    if (connector.tokenVersion > 0) await this.removeVersion(connector.id, connector.tokenVersion - 1);
    if (!connector.expiresAt) return;
    const jobId = RefreshProducer.jobId(connector.id, connector.tokenVersion);
    // BullMQ ignores an add whose id it still keeps (completed or failed history): clear that first.
    const kept = await this.queue.getJob(jobId);
    if (kept && ((await kept.isCompleted()) || (await kept.isFailed()))) await kept.remove().catch(() => undefined);
    const due = refreshDueAt(connector, this.config.refreshMarginSeconds);
    await this.queue.add(
      TokenRefreshJobName.RefreshConnector,
      { connectorId: connector.id, reason },
      { ...REFRESH_JOB_OPTIONS, jobId, delay: Math.max(0, due - Date.now()) },
    );
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

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function tokenVersionGone(connector: SchedulableConnector): boolean {
  return !Number.isInteger(connector.tokenVersion) || connector.tokenVersion < 0;
}
