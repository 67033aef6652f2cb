import { Injectable, Logger, Module } from '@nestjs/common';
import { withDeadline } from '@flow-oauth/deadline';
import { ConnectorEntity, ProviderEntity } from '@flow-oauth/persistence';
import { Gauge, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** A scrape must answer while the database is slow or gone. */
const SCRAPE_TIMEOUT_MS = 2000;

/**
 * `flow_connectors{type, status}` and `flow_providers{type}`, counted by the database at every
 * scrape (one GROUP BY each). Exposed by one process only (config-loader), since every process
 * would report the same figures.
 */
@Injectable()
export class ConnectorMetrics {
  private readonly logger = new Logger('ConnectorMetrics');

  constructor(registry: Registry, dataSource: DataSource) {
    const logger = this.logger;
    const count = async (gauge: Gauge<'type' | 'status'> | Gauge<'type'>, what: string, query: () => Promise<Array<Record<string, string | number>>>) => {
      try {
        const rows = await withDeadline(query(), SCRAPE_TIMEOUT_MS);
        gauge.reset();
        for (const { count: n, ...labels } of rows) gauge.set(labels as Record<string, string>, Number(n));
      } catch (error) {
        gauge.reset();
        logger.warn(`${what} not counted for /metrics: ${(error as Error).message}`);
      }
    };
    new Gauge({
      name: 'flow_connectors',
      help: 'Connectors by connector type and status (active, needs_reauth, refresh_failed), counted at scrape time',
      labelNames: ['type', 'status'],
      registers: [registry],
      async collect() {
        await count(this, 'connectors', () =>
          dataSource.getRepository(ConnectorEntity).createQueryBuilder('c').select('c.type', 'type').addSelect('c.status', 'status').addSelect('COUNT(*)', 'count').groupBy('c.type').addGroupBy('c.status').getRawMany(),
        );
      },
    });
    new Gauge({
      name: 'flow_providers',
      help: 'Loaded OAuth providers by connector type, counted at scrape time',
      labelNames: ['type'],
      registers: [registry],
      async collect() {
        await count(this, 'providers', () => dataSource.getRepository(ProviderEntity).createQueryBuilder('p').select('p.type', 'type').addSelect('COUNT(*)', 'count').groupBy('p.type').getRawMany());
      },
    });
  }
}

/** Adds the connector and provider counts to this process's /metrics. */
@Module({ providers: [ConnectorMetrics] })
export class ConnectorMetricsModule {}
