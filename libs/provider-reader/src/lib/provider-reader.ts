import { Injectable } from '@nestjs/common';
import { buildEffectiveDefinition, type ConnectorDefinition, isConnectorType } from '@flow-oauth/connector-definitions';
import { ProviderEntity, type ProviderState } from '@flow-oauth/persistence';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import { DataSource, In } from 'typeorm';

/** A loaded provider with its secrets opened and its effective definition: what the protocol client needs. */
export interface LoadedProvider {
  id: string;
  type: string;
  name: string;
  definition: ConnectorDefinition;
  parameters: Record<string, unknown>;
  secrets: Record<string, string>;
  /** Fingerprint of the non-secret settings: a sign-in started under other settings is refused. */
  fingerprint: string;
  updatedAt: string;
  /** `credentials_rejected` while the provider refuses Flow's client credentials (refreshes paused). */
  state: ProviderState;
  rejectedAt: string | null;
  rejectedError: string | null;
}

/** Whether connectors of a definition refresh their tokens (OAuth 1.0a and `refreshable: false` ones never do). */
export function definitionRefreshes(definition: ConnectorDefinition): boolean {
  return definition.oauth_type !== 'OAuth1' && definition.refreshable !== false;
}

/** Reads loaded providers for the OAuth flows and the refresher (secrets decrypted in memory only). */
@Injectable()
export class ProviderReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
  ) {}

  /** One provider by id, or undefined. */
  async findById(id: string): Promise<LoadedProvider | undefined> {
    const row = await this.dataSource.getRepository(ProviderEntity).findOneBy({ id });
    return row ? this.toLoaded(row) : undefined;
  }

  /** Every loaded provider. */
  async all(): Promise<LoadedProvider[]> {
    const rows = await this.dataSource.getRepository(ProviderEntity).find({ order: { type: 'ASC', name: 'ASC' } });
    return rows.filter((r) => isConnectorType(r.type)).map((r) => this.toLoaded(r));
  }

  /** Of the given provider ids, those whose connectors refresh their tokens (read without opening any secret). */
  async refreshing(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (ids.length === 0) return out;
    const rows = await this.dataSource.getRepository(ProviderEntity).find({ where: { id: In(ids) }, select: { id: true, type: true, settings: true } });
    for (const row of rows) {
      if (isConnectorType(row.type) && definitionRefreshes(buildEffectiveDefinition(row.type, JSON.parse(row.settings) as Record<string, unknown>))) out.add(row.id);
    }
    return out;
  }

  /** A cheap token that changes whenever any provider is added, updated or deleted. */
  async version(): Promise<string> {
    const [row] = (await this.dataSource.query('SELECT COUNT(*) AS n, MAX(updated_at) AS latest FROM providers')) as Array<{ n: number | string; latest: string | null }>;
    return `${row?.n ?? 0}:${row?.latest ?? ''}`;
  }

  private toLoaded(row: ProviderEntity): LoadedProvider {
    if (!isConnectorType(row.type)) throw new Error(`stored provider has unknown type ${row.type}`);
    const parameters = JSON.parse(row.settings) as Record<string, unknown>;
    return {
      id: row.id,
      type: row.type,
      name: row.name,
      definition: buildEffectiveDefinition(row.type, parameters),
      parameters,
      secrets: this.box.openJson<Record<string, string>>(row.secrets, providerSecretsOf(row.id)),
      fingerprint: row.fingerprint,
      updatedAt: row.updatedAt,
      state: row.state ?? 'ok',
      rejectedAt: row.rejectedAt ?? null,
      rejectedError: row.rejectedError ?? null,
    };
  }
}

/** Where a provider's sealed secrets live: they open only in that provider's row. */
export function providerSecretsOf(providerId: string): SealedPlace {
  return { table: 'providers', column: 'secrets', row: providerId };
}
