import { Injectable, Logger } from '@nestjs/common';
import { OAuthClient } from '@flow-oauth/oauth-client';
import { ConnectorEntity, type ConnectorHealth, nowIso } from '@flow-oauth/persistence';
import { definitionRefreshes, type LoadedProvider, ProviderReader } from '@flow-oauth/provider-reader';
import { ConnectorTokenStore, describeRefreshError, StaleTokenWriteError, TokenRefreshService } from '@flow-oauth/token-refresh';
import { DataSource } from 'typeorm';

/** A token this close to its expiry is not validated: a refusal would say nothing about the grant. */
const EXPIRY_SLACK_MS = 5000;

/** What one check found. `skipped`: nothing to check (no token, needs_reauth, gone). */
export type HealthCheckResult = { health: ConnectorHealth; detail: string; needsReauth: boolean } | { health: 'skipped'; detail: string; needsReauth: false };

/** How the provider's validation endpoint answered one access token. */
type Verdict = { kind: 'accepted'; detail: string } | { kind: 'refused'; detail: string } | { kind: 'unknown'; detail: string };

/** Whether a provider's definition has a validation request (the "Test" of the documented system). */
export function hasValidateEndpoint(provider: Pick<LoadedProvider, 'definition' | 'parameters'>): boolean {
  const url = provider.definition.oauth2_validate_url ?? provider.parameters['VALIDATE_URL'];
  return typeof url === 'string' && url !== '';
}

/**
 * One health check of a connector: the definition's validate request with its access token, so a
 * grant revoked at the provider shows before a workflow asks for the token.
 * - accepted: `ok`;
 * - refused (401) while unexpired: the token is replaced once by a forced refresh (the one refresh
 *   function, under the connector's lock). A dead grant answers invalid_grant there and the
 *   connector becomes needs_reauth; a new token that is accepted means only the old access token was
 *   revoked (`ok`); a new token refused too, or no way to get one, makes it needs_reauth
 *   (`token_refused`). Either way `connector.needs_reauth` is recorded and sent;
 * - no answer, 5xx, 429 or any other status: `unknown` (a network error is not a refusal);
 * - no validate endpoint: `not_checked`; an expired token: `unknown` until its refresh (which makes
 *   the next check due at once).
 * The result is written only if the tokens did not change meanwhile (guarded by the token version).
 */
@Injectable()
export class ConnectorHealthCheck {
  private readonly logger = new Logger('HealthCheck');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderReader,
    private readonly tokens: ConnectorTokenStore,
    private readonly oauth: OAuthClient,
    private readonly refresher: TokenRefreshService,
  ) {}

  async check(connectorId: string, now = Date.now()): Promise<HealthCheckResult> {
    const connector = await this.dataSource.getRepository(ConnectorEntity).findOneBy({ id: connectorId });
    if (!connector || connector.status === 'needs_reauth' || !connector.accessToken) return { health: 'skipped', detail: 'no token to check', needsReauth: false };
    const provider = await this.providers.findById(connector.providerId);
    if (!provider) return { health: 'skipped', detail: 'the provider is no longer loaded', needsReauth: false };
    if (!hasValidateEndpoint(provider)) return this.write(connector, 'not_checked', 'the provider has no validation endpoint');
    if (connector.expiresAt !== null && Date.parse(connector.expiresAt) <= now + EXPIRY_SLACK_MS) {
      return this.write(connector, 'unknown', 'the access token has expired; it is checked again after its refresh');
    }
    const verdict = await this.validate(provider, connector);
    if (verdict.kind === 'accepted') return this.write(connector, 'ok', verdict.detail);
    if (verdict.kind === 'unknown') return this.write(connector, 'unknown', verdict.detail);
    return this.refused(provider, connector, verdict.detail);
  }

  /** The access token was refused while unexpired: replace it once, and judge the grant by that. */
  private async refused(provider: LoadedProvider, connector: ConnectorEntity, refusal: string): Promise<HealthCheckResult> {
    const canRefresh = definitionRefreshes(provider.definition) && connector.refreshToken !== null && connector.tokenType !== 'OAuth1';
    if (!canRefresh) return this.needsReauth(connector, refusal);
    let outcome;
    try {
      outcome = await this.refresher.refreshConnector(connector.id, 'force');
    } catch (error) {
      // Its tokens were replaced meanwhile (a reconnect, a refresh): what was refused is gone; the next check judges the new ones.
      if (error instanceof StaleTokenWriteError) return { health: 'skipped', detail: 'the tokens were replaced while the check ran', needsReauth: false };
      return this.write(connector, 'refused', `${refusal}; a refresh to replace it failed (${describeRefreshError(error).slice(0, 200)}), so the grant could not be judged`);
    }
    switch (outcome.status) {
      case 'needs_reauth':
        // The refresh function marked it (invalid_grant): recorded and sent there.
        await this.writeFields(connector, 'refused', `${refusal}; the refresh token was refused too (${outcome.reason})`);
        return { health: 'refused', detail: outcome.reason, needsReauth: true };
      case 'refreshed': {
        const again = await this.validate(provider, outcome.connector);
        if (again.kind === 'accepted') return this.write(outcome.connector, 'ok', `${again.detail} after a refresh (the previous access token was refused: ${refusal})`);
        if (again.kind === 'refused') return this.needsReauth(outcome.connector, `${again.detail}, a freshly refreshed one as well`);
        return this.write(outcome.connector, 'unknown', again.detail);
      }
      case 'credentials_rejected':
        return this.write(connector, 'refused', `${refusal}; the provider refuses Flow's client credentials, so the token cannot be replaced until they are fixed`);
      case 'not_refreshable':
        return this.needsReauth(connector, refusal);
      default:
        return { health: 'skipped', detail: 'the connector is gone', needsReauth: false };
    }
  }

  private async needsReauth(connector: ConnectorEntity, refusal: string): Promise<HealthCheckResult> {
    const detail = refusal.slice(0, 500);
    const marked = await this.refresher.markConnectorNeedsReauth(connector, `token_refused: ${detail}`, {
      tokenVersion: connector.tokenVersion,
      extra: { health: 'refused', healthDetail: detail, lastCheckedAt: nowIso() },
    });
    if (marked) this.logger.warn(`connector ${connector.id}: its token was refused while unexpired; it needs re-authorization`);
    return { health: 'refused', detail, needsReauth: marked !== undefined };
  }

  private async validate(provider: LoadedProvider, connector: ConnectorEntity): Promise<Verdict> {
    try {
      const { accessToken, refreshToken } = this.tokens.open(connector);
      // OAuth 1.0a: the token secret (kept in the refresh-token column) signs the validation call.
      const tokenSecret = connector.tokenType === 'OAuth1' ? (refreshToken ?? undefined) : undefined;
      const result = await this.oauth.validate(provider, { accessToken: accessToken as string, tokenSecret, connectionParams: JSON.parse(connector.params) as Record<string, string> });
      if (result.ok) return { kind: 'accepted', detail: `the provider accepted the access token (${result.status ?? 200})` };
      // 401 is the one answer that says "this token is not valid"; 403 and the rest may be a scope or a plan.
      if (result.status === 401) return { kind: 'refused', detail: `the provider refused the access token (${result.detail})` };
      return { kind: 'unknown', detail: `the check could not tell: ${result.detail}` };
    } catch (error) {
      return { kind: 'unknown', detail: `the check could not run: ${(error as Error).message.slice(0, 200)}` };
    }
  }

  private async write(connector: ConnectorEntity, health: ConnectorHealth, detail: string): Promise<HealthCheckResult> {
    await this.writeFields(connector, health, detail);
    return { health, detail, needsReauth: false };
  }

  /** Writes the check's outcome unless newer tokens were written meanwhile (their own check is due). */
  private async writeFields(connector: ConnectorEntity, health: ConnectorHealth, detail: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(ConnectorEntity)
      .set({ health, healthDetail: detail.slice(0, 500), lastCheckedAt: nowIso() })
      .where('id = :id AND token_version = :version', { id: connector.id, version: connector.tokenVersion })
      .execute();
  }
}
