import { Inject, Injectable } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { type ConnectorEntity, sqlDialect, updatedRowCount } from '@flow-oauth/persistence';
import { DataSource } from 'typeorm';

const BATCH = 500;

type DueRow = Pick<ConnectorEntity, 'id' | 'label' | 'type' | 'providerName' | 'owner' | 'status' | 'reauthDueAt' | 'reauthDueBasis'>;

/**
 * `connector.reauth_due`: sent FLOW_REAUTH_WARNING_SECONDS before a connector's grant lapses, once
 * per grant: the connector row remembers the reauth_due_at it warned for, claimed with a guarded
 * UPDATE, so however many token-refreshers scan, one sends it. A later grant (a new date) is warned
 * for again. Reads only connectors due before the horizon, through the reauth_due_at index.
 */
@Injectable()
export class ReauthWarnings {
  private readonly select: string;
  private readonly claim: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly activity: ActivityRecorder,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    const p = sqlDialect(dataSource).param;
    this.select =
      'SELECT id, label, type, provider_name AS "providerName", owner, status, reauth_due_at AS "reauthDueAt", reauth_due_basis AS "reauthDueBasis" FROM connectors ' +
      `WHERE reauth_due_at IS NOT NULL AND reauth_due_at <= ${p(1)} AND status IN ('active', 'refresh_failed') ` +
      `AND (reauth_warned_for IS NULL OR reauth_warned_for <> reauth_due_at) ORDER BY reauth_due_at LIMIT ${BATCH}`;
    this.claim =
      `UPDATE connectors SET reauth_warned_for = reauth_due_at WHERE id = ${p(1)} AND reauth_due_at = ${p(2)} ` +
      `AND (reauth_warned_for IS NULL OR reauth_warned_for <> reauth_due_at) RETURNING id`;
  }

  /** Sends the warnings that are due; returns how many this process sent. */
  async run(now = Date.now()): Promise<number> {
    const horizon = new Date(now + this.config.health.reauthWarningSeconds * 1000).toISOString();
    let sent = 0;
    for (;;) {
      const rows = (await this.dataSource.query(this.select, [horizon])) as DueRow[];
      for (const row of rows) {
        if (!(await this.claimed(row))) continue;
        await this.activity.record({
          kind: 'connector',
          type: 'connector.reauth_due',
          actor: 'system',
          connector: row,
          data: { reauthDueAt: row.reauthDueAt, basis: row.reauthDueBasis },
        });
        sent += 1;
      }
      if (rows.length < BATCH) return sent;
    }
  }

  private async claimed(row: DueRow): Promise<boolean> {
    return updatedRowCount(await this.dataSource.query(this.claim, [row.id, row.reauthDueAt])) === 1;
  }
}
