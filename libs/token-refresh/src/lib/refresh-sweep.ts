import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sqlDialect } from '@flow-oauth/persistence';
import { ProviderReader } from '@flow-oauth/provider-reader';
import { DataSource } from 'typeorm';
import { type DueConnector, RefreshProducer } from './refresh.producer';
import { sweepHorizon } from './refresh-schedule';

/** Connectors read and checked per round (one statement, one Redis pipeline, one addBulk). */
export const SWEEP_BATCH = 500;

/** What one sweep did. */
export interface SweepResult {
  /** Connectors the sweep read: only those due before its horizon, never the whole table. */
  read: number;
  /** Refresh jobs it re-created (they were missing or finished). */
  recreated: number;
  /** Connectors of providers that never refresh, whose next refresh time it cleared. */
  cleared: number;
}

interface DueRow {
  id: string;
  providerId: string;
  nextRefreshAt: string;
  tokenVersion: number | string;
}

/**
 * The safety sweep: makes sure every connector due soon has its refresh job, so lost Redis state
 * heals. Its cost follows the work that is due: it reads, through the next_refresh_at index, only
 * active or refresh_failed connectors due before the horizon whose provider's credentials are not
 * rejected, in batches, and checks their jobs a batch at a time.
 */
@Injectable()
export class RefreshSweep {
  private readonly logger = new Logger('RefreshSweep');
  private readonly sql: string;
  private readonly byProviderSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: RefreshProducer,
    private readonly providers: ProviderReader,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    const p = sqlDialect(dataSource).param;
    const select =
      'SELECT c.id, c.provider_id AS "providerId", c.next_refresh_at AS "nextRefreshAt", c.token_version AS "tokenVersion" FROM connectors c ' +
      // Keyset paging on (next_refresh_at, id); both bounds on next_refresh_at are index ranges.
      `WHERE c.next_refresh_at < ${p(1)} AND c.next_refresh_at >= ${p(2)} AND (c.next_refresh_at > ${p(3)} OR c.id > ${p(4)}) ` +
      "AND c.status IN ('active', 'refresh_failed') " +
      "AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.id = c.provider_id AND p.state = 'credentials_rejected') ";
    const page = `ORDER BY c.next_refresh_at, c.id LIMIT ${SWEEP_BATCH}`;
    this.sql = select + page;
    this.byProviderSql = `${select}AND c.provider_id = ${p(5)} ${page}`;
  }

  /**
   * One pass over the connectors due before the horizon (of one provider only, when given: a
   * provider whose credentials were restored). Returns what it did.
   */
  async run(options: { providerId?: string } = {}): Promise<SweepResult> {
    const horizon = sweepHorizon(Date.now(), this.config.refreshSweepSeconds * 1000).toISOString();
    const result: SweepResult = { read: 0, recreated: 0, cleared: 0 };
    let after = { at: '', id: '' };
    for (;;) {
      const params = [horizon, after.at, after.at, after.id, ...(options.providerId ? [options.providerId] : [])];
      const rows = (await this.dataSource.query(options.providerId ? this.byProviderSql : this.sql, params)) as DueRow[];
      result.read += rows.length;
      if (rows.length === 0) break;
      await this.sweepBatch(rows, result);
      if (rows.length < SWEEP_BATCH) break;
      const last = rows[rows.length - 1];
      after = { at: last.nextRefreshAt, id: last.id };
    }
    if (result.recreated > 0) this.logger.warn(`sweep re-created ${result.recreated} missing refresh job(s)`);
    if (result.cleared > 0) this.logger.log(`sweep cleared the schedule of ${result.cleared} connector(s) whose provider never refreshes`);
    return result;
  }

  private async sweepBatch(rows: DueRow[], result: SweepResult): Promise<void> {
    const refreshing = await this.providers.refreshing([...new Set(rows.map((r) => r.providerId))]);
    const due: DueConnector[] = [];
    const never: string[] = [];
    for (const row of rows) {
      if (refreshing.has(row.providerId)) due.push({ id: row.id, tokenVersion: Number(row.tokenVersion), nextRefreshAt: row.nextRefreshAt });
      else never.push(row.id);
    }
    // OAuth 1.0a and `refreshable: false` providers never refresh: such a connector leaves the schedule for good.
    if (never.length > 0) {
      const q = sqlDialect(this.dataSource);
      await this.dataSource.query(`UPDATE connectors SET next_refresh_at = NULL WHERE id IN (${q.params(never.length)})`, never);
      result.cleared += never.length;
    }
    result.recreated += await this.producer.ensureJobs(due);
  }
}
