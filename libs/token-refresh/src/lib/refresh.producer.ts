import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { DEFAULT_JOB_OPTIONS, QueueName, type RefreshJobData, type RefreshReason, refreshJobId, TokenRefreshJobName } from '@flow-oauth/queue-contracts';
import type { Queue } from 'bullmq';

/** What scheduling needs to know of a connector. */
export interface SchedulableConnector {
  id: string;
  expiresAt: string | null;
  tokenVersion: number;
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

  /** Schedules the refresh of a connector with an expiry (no-op for tokens that do not expire). */
  async schedule(connector: SchedulableConnector, reason: RefreshReason): Promise<void> {
    if (tokenVersionGone(connector)) return;
    if (connector.tokenVersion > 0) await this.removeVersion(connector.id, connector.tokenVersion - 1);
    if (!connector.expiresAt) return;
    const due = Date.parse(connector.expiresAt) - this.config.refreshMarginSeconds * 1000;
    await this.queue.add(
      TokenRefreshJobName.RefreshConnector,
      { connectorId: connector.id, reason },
      { ...DEFAULT_JOB_OPTIONS, jobId: RefreshProducer.jobId(connector.id, connector.tokenVersion), delay: Math.max(0, due - Date.now()) },
    );
  }

  /** Removes a connector's pending refresh job (connector deleted or tokens purged). */
  async cancel(connector: SchedulableConnector): Promise<void> {
    await this.removeVersion(connector.id, connector.tokenVersion);
    if (connector.tokenVersion > 0) await this.removeVersion(connector.id, connector.tokenVersion - 1);
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
