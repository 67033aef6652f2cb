import { Injectable, Logger } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { nowIso, ProviderEntity } from '@flow-oauth/persistence';
import { DataSource } from 'typeorm';

/**
 * A provider's credentials state. A refresh that the provider answers with invalid_client /
 * unauthorized_client blames the operator's app credentials (often a mistyped rotated secret), not
 * the user's grant: the provider is marked `credentials_rejected` and its connectors keep their
 * status and tokens. A load that changes the provider sets it back to `ok` (ProviderConfigurationService).
 */
@Injectable()
export class ProviderCredentialsState {
  private readonly logger = new Logger('ProviderCredentials');

  constructor(
    private readonly dataSource: DataSource,
    private readonly activity: ActivityRecorder,
  ) {}

  /**
   * Marks the provider rejected with the provider's error code, unless a load changed it since the
   * refresh read it (`seenUpdatedAt`): then the refusal was of the old settings and says nothing
   * about the new ones. True when this call marked it.
   */
  async markRejected(provider: { id: string; type: string; name: string; updatedAt: string }, errorCode: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(ProviderEntity)
      .set({ state: 'credentials_rejected', rejectedAt: nowIso(), rejectedError: errorCode.slice(0, 64) })
      .where("id = :id AND updated_at = :seen AND state = 'ok'", { id: provider.id, seen: provider.updatedAt })
      .execute();
    const marked = (result.affected ?? 0) > 0;
    if (marked) {
      const code = errorCode.slice(0, 64);
      await this.activity.record({ kind: 'provider', type: 'provider.credentials_rejected', actor: 'system', provider: { id: provider.id, type: provider.type, name: provider.name, state: 'credentials_rejected' }, data: { error: code } });
      this.logger.error(
        `provider ${provider.type}/${provider.name} refused Flow's client credentials (${errorCode}): its connectors' refreshes are paused ` +
          'until a load changes its settings or secret (unexpired tokens are still served)',
      );
    }
    return marked;
  }
}
