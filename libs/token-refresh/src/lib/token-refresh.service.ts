import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { emitEvent, FLOW_EVENTS_CLIENT } from '@flow-oauth/messaging';
import { OAuthClient, OAuthProtocolError } from '@flow-oauth/oauth-client';
import { ConnectorEntity, nowIso } from '@flow-oauth/persistence';
import { ProviderReader } from '@flow-oauth/provider-config';
import { FlowEvent } from '@flow-oauth/queue-contracts';
import type { ClientProxy } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { ConnectorLock } from './connector-lock';
import { ConnectorTokenStore } from './connector-token-store';
import { RefreshProducer, refreshDueAt } from './refresh.producer';

export type RefreshMode = 'if-due' | 'force';

export type RefreshOutcome =
  | { status: 'refreshed' | 'fresh'; connector: ConnectorEntity }
  | { status: 'not_refreshable'; connector: ConnectorEntity; reason: string }
  | { status: 'needs_reauth'; connector: ConnectorEntity; reason: string }
  | { status: 'missing' };

/**
 * THE refresh function, used by the background worker and the on-demand token API alike: takes the
 * connector's lock, re-reads it (someone may have just refreshed), refreshes at the provider,
 * persists the new access token and any rotated refresh token in one write, schedules the next
 * refresh and tells the servers. Transient provider failures are thrown for the caller to retry.
 */
@Injectable()
export class TokenRefreshService {
  private readonly logger = new Logger('TokenRefresh');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderReader,
    private readonly lock: ConnectorLock,
    private readonly tokens: ConnectorTokenStore,
    private readonly producer: RefreshProducer,
    private readonly oauth: OAuthClient,
    @Inject(FLOW_EVENTS_CLIENT) private readonly events: ClientProxy,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** True when the connector's access token is due for refresh (see refreshDueAt). */
  isDue(connector: Pick<ConnectorEntity, 'expiresAt' | 'updatedAt'>, now = Date.now()): boolean {
    return connector.expiresAt !== null && now >= refreshDueAt(connector, this.config.refreshMarginSeconds);
  }

  /** Refreshes a connector's tokens (if due, or always with 'force'). */
  async refreshConnector(connectorId: string, mode: RefreshMode = 'if-due'): Promise<RefreshOutcome> {
    return this.lock.withLock(connectorId, async () => {
      const repo = this.dataSource.getRepository(ConnectorEntity);
      const connector = await repo.findOneBy({ id: connectorId });
      if (!connector) return { status: 'missing' };
      if (connector.status === 'needs_reauth') return { status: 'needs_reauth', connector, reason: connector.lastError ?? 'sign-in required' };
      if (mode === 'if-due' && !this.isDue(connector)) return { status: 'fresh', connector };
      const { refreshToken } = this.tokens.open(connector);
      const provider = await this.providers.findById(connector.providerId);
      if (!provider) return this.markNeedsReauth(connector, 'provider_deleted');
      if (provider.definition.oauth_type === 'OAuth1' || provider.definition.refreshable === false) {
        return { status: 'not_refreshable', connector, reason: 'this connector type does not refresh tokens' };
      }
      if (!refreshToken) return this.markNeedsReauth(connector, 'no_refresh_token');
      let tokens;
      try {
        tokens = await this.oauth.refresh(provider, {
          refreshToken,
          connectionParams: JSON.parse(connector.params) as Record<string, string>,
          scope: connector.scope ?? undefined,
        });
      } catch (error) {
        if (error instanceof OAuthProtocolError && (error.kind === 'invalid_grant' || error.kind === 'invalid_client')) {
          return this.markNeedsReauth(connector, error.kind);
        }
        // updated_at stays the token's issue time (refreshDueAt reads it).
        await repo.update({ id: connector.id }, { lastError: describe(error) });
        throw error;
      }
      // One guarded UPDATE: atomic on its own, so no transaction (which SQLite would share process-wide).
      const updated = await this.tokens.writeRefreshed(this.dataSource.manager, connector, tokens, refreshToken);
      this.logger.log(`connector ${connector.id} refreshed; expires ${updated.expiresAt ?? 'never'}`);
      // The tokens are saved; a job Redis could not take now is re-created by the sweep.
      await this.producer.schedule(updated, 'scheduled').catch((e: Error) => this.logger.error(`next refresh of ${connector.id} not scheduled: ${e.message}`));
      await this.tell(FlowEvent.ConnectorRefreshed, { connectorId: connector.id, expiresAt: updated.expiresAt, at: nowIso() });
      return { status: 'refreshed', connector: updated };
    });
  }

  /**
   * Marks a connector as failed after the worker ran out of retries, unless its tokens moved on
   * meanwhile (an on-demand refresh succeeded, or they were purged).
   */
  async markRefreshFailed(connectorId: string, tokenVersion: number | undefined, error: unknown): Promise<void> {
    const where = tokenVersion === undefined ? { id: connectorId, status: 'active' as const } : { id: connectorId, status: 'active' as const, tokenVersion };
    await this.dataSource.getRepository(ConnectorEntity).update(where, { status: 'refresh_failed', lastError: describe(error) });
  }

  private async markNeedsReauth(connector: ConnectorEntity, reason: string): Promise<RefreshOutcome> {
    await this.dataSource.getRepository(ConnectorEntity).update({ id: connector.id }, { status: 'needs_reauth', lastError: reason, updatedAt: nowIso() });
    this.logger.warn(`connector ${connector.id} needs re-authorization (${reason})`);
    await this.tell(FlowEvent.ConnectorNeedsReauth, { connectorId: connector.id, reason, at: nowIso() });
    return { status: 'needs_reauth', connector: { ...connector, status: 'needs_reauth', lastError: reason }, reason };
  }

  private async tell(event: string, payload: object): Promise<void> {
    try {
      await emitEvent(this.events, event as (typeof FlowEvent)[keyof typeof FlowEvent], payload as never);
    } catch (error) {
      this.logger.error(`${event} could not be sent: ${(error as Error).message}`);
    }
  }
}

/** A short, secret-free description of a refresh failure for the connector's last_error. */
function describe(error: unknown): string {
  if (error instanceof OAuthProtocolError) return `${error.kind}${error.status ? ` (HTTP ${error.status})` : ''}: ${error.message}`.slice(0, 500);
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : 'unknown error';
}
