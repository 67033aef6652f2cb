import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { PeriodicTask } from '@flow-oauth/periodic';
import { sqlDialect, updatedRowCount } from '@flow-oauth/persistence';
import { DataSource } from 'typeorm';
import { ConnectorHealthCheck } from './connector-health-check';
import { HealthCheckRateLimit } from './health-check-rate-limit';
import { ReauthWarnings } from './reauth-warnings';

const BATCH = 200;
/** Checks in flight per token-refresher: each waits on a provider's answer. */
const CONCURRENCY = 4;
/** A check the provider's minute budget had no room for waits this long. */
const DEFERRED_MS = 60_000;

interface DueCheck {
  id: string;
  providerId: string;
  nextCheckAt: string;
}

/** What one scan did. */
export interface HealthScanResult {
  checked: number;
  deferred: number;
  warned: number;
}

/**
 * Every FLOW_HEALTH_SCAN_SECONDS, each token-refresher sends the reauth warnings that are due and
 * runs the health checks that are due: a connector's next check is due right after each token write
 * (so every refresh and sign-in is followed by one), then every FLOW_HEALTH_CHECK_INTERVAL_SECONDS
 * after its last check (so checks spread over the day as refreshes and sign-ins did). A check is
 * claimed by moving next_check_at on with a guarded UPDATE (one process runs it) and costs one of
 * its provider's FLOW_HEALTH_CHECKS_PER_MINUTE, else it waits a minute. Reads only what is due,
 * through the next_check_at index.
 */
@Injectable()
export class HealthScanner {
  private readonly logger = new Logger('HealthScanner');
  private readonly dueSql: string;
  private readonly claimSql: string;
  private readonly task = new PeriodicTask('health scan', () => this.run(), this.logger, (r) => {
    if (r.checked + r.deferred + r.warned > 0) this.logger.debug(`health scan: ${r.checked} checked, ${r.deferred} deferred, ${r.warned} reauth warning(s)`);
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly check: ConnectorHealthCheck,
    private readonly warnings: ReauthWarnings,
    private readonly rateLimit: HealthCheckRateLimit,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    const p = sqlDialect(dataSource).param;
    this.dueSql =
      'SELECT id, provider_id AS "providerId", next_check_at AS "nextCheckAt" FROM connectors ' +
      `WHERE next_check_at <= ${p(1)} AND status IN ('active', 'refresh_failed') ORDER BY next_check_at LIMIT ${BATCH}`;
    this.claimSql = `UPDATE connectors SET next_check_at = ${p(1)} WHERE id = ${p(2)} AND next_check_at = ${p(3)} RETURNING id`;
  }

  /** Starts scanning (token-refresher only). */
  start(): void {
    this.task.start(this.config.health.scanSeconds * 1000);
  }

  /** Stops scanning and waits for the checks in flight. */
  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One scan: due warnings, then due checks. */
  async run(now = Date.now()): Promise<HealthScanResult> {
    const warned = await this.warnings.run(now);
    const due = (await this.dataSource.query(this.dueSql, [new Date(now).toISOString()])) as DueCheck[];
    const interval = this.config.health.checkIntervalSeconds * 1000;
    const claimed: string[] = [];
    let deferred = 0;
    for (const row of due) {
      const withinBudget = await this.rateLimit.take(row.providerId, now);
      // Interval 0: no scheduled checks, only the one after each token write.
      const next = withinBudget ? (interval > 0 ? new Date(now + interval).toISOString() : null) : new Date(now + DEFERRED_MS).toISOString();
      if (!(await this.claimed(row, next))) continue;
      if (withinBudget) claimed.push(row.id);
      else deferred += 1;
    }
    await runPooled(claimed, CONCURRENCY, async (id) => {
      try {
        await this.check.check(id, Date.now());
      } catch (error) {
        this.logger.error(`health check of connector ${id} failed: ${(error as Error).message}`);
      }
    });
    return { checked: claimed.length, deferred, warned };
  }

  private async claimed(row: DueCheck, next: string | null): Promise<boolean> {
    return updatedRowCount(await this.dataSource.query(this.claimSql, [next, row.id, row.nextCheckAt])) === 1;
  }
}

/** Runs `work` over the items, at most `limit` at a time. */
async function runPooled<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
