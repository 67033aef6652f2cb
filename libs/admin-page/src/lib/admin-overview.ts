import { Injectable, Logger } from '@nestjs/common';
import type { ConnectorStatus } from '@flow-oauth/persistence';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { type HourlyRefreshCounts, RefreshHistory } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';

/** One provider as the overview shows it: no setting, no secret; its state and its connectors by status and owner. */
export interface ProviderOverview {
  type: string;
  provider: string;
  state: 'ok' | 'credentials_rejected';
  rejectedAt: string | null;
  rejectedError: string | null;
  connectors: Record<ConnectorStatus, number>;
  /** Who owns its connectors (a token purge may name one of them). */
  owners: string[];
}

/** What the admin page shows first. */
export interface AdminOverviewData {
  providers: ProviderOverview[];
  connectorsByStatus: Record<ConnectorStatus, number>;
  /** Connectors owned, by user name. */
  connectorsByOwner: Record<string, number>;
  /** The last 24 clock hours of refresh outcomes; undefined when Redis did not answer. */
  hours?: HourlyRefreshCounts[];
}

const emptyCounts = (): Record<ConnectorStatus, number> => ({ active: 0, needs_reauth: 0, refresh_failed: 0 });

/**
 * The admin page's overview, read from the deployment's own stores: connectors by status for each
 * provider (one GROUP BY), providers' states (no settings or secrets are read), and the hourly
 * refresh history. flow-oauth-server shares the database with config-loader, so this needs no call to it.
 */
@Injectable()
export class AdminOverview {
  private readonly logger = new Logger('AdminOverview');

  constructor(
    private readonly dataSource: DataSource,
    private readonly history: RefreshHistory,
  ) {}

  async read(): Promise<AdminOverviewData> {
    const providers = await this.dataSource.getRepository(ProviderEntity).find({
      select: { id: true, type: true, name: true, state: true, rejectedAt: true, rejectedError: true },
      order: { type: 'ASC', name: 'ASC' },
    });
    const groups = (await this.dataSource
      .getRepository(ConnectorEntity)
      .createQueryBuilder('c')
      .select('c.providerId', 'providerId')
      .addSelect('c.status', 'status')
      .addSelect('c.owner', 'owner')
      .addSelect('COUNT(*)', 'count')
      .groupBy('c.providerId')
      .addGroupBy('c.status')
      .addGroupBy('c.owner')
      .getRawMany()) as Array<{ providerId: string; status: ConnectorStatus; owner: string; count: string | number }>;
    const byProvider = new Map<string, { counts: Record<ConnectorStatus, number>; owners: Set<string> }>();
    const connectorsByStatus = emptyCounts();
    const connectorsByOwner: Record<string, number> = {};
    for (const g of groups) {
      const count = Number(g.count);
      const entry = byProvider.get(g.providerId) ?? { counts: emptyCounts(), owners: new Set<string>() };
      entry.counts[g.status] = (entry.counts[g.status] ?? 0) + count;
      entry.owners.add(g.owner);
      byProvider.set(g.providerId, entry);
      connectorsByStatus[g.status] = (connectorsByStatus[g.status] ?? 0) + count;
      connectorsByOwner[g.owner] = (connectorsByOwner[g.owner] ?? 0) + count;
    }
    let hours: HourlyRefreshCounts[] | undefined;
    try {
      hours = await this.history.lastHours(24);
    } catch (error) {
      this.logger.warn(`refresh history unavailable (${error instanceof Error ? error.name : 'error'}); the overview shows no chart`);
    }
    return {
      providers: providers.map((p) => ({
        type: p.type,
        provider: p.name,
        state: p.state,
        rejectedAt: p.rejectedAt,
        rejectedError: p.rejectedError,
        connectors: byProvider.get(p.id)?.counts ?? emptyCounts(),
        owners: [...(byProvider.get(p.id)?.owners ?? [])].sort(),
      })),
      connectorsByStatus,
      connectorsByOwner,
      hours,
    };
  }
}
