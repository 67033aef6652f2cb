import { Inject, Injectable, Logger } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError } from '@flow-oauth/http-common';
import type { ConnectorSetupGuide } from '@flow-oauth/setup-guide';

const TIMEOUT_MS = 15_000;

/** A provider in config-loader's redacted read: its parameters with every secret `********`, and its state. */
export type RedactedProviders = Record<string, Record<string, Record<string, unknown>>>;

/** A load plan (SPEC section 3). */
export interface LoadPlan {
  added: Array<{ type: string; provider: string }>;
  updated: Array<{ type: string; provider: string }>;
  unchanged: Array<{ type: string; provider: string }>;
  conflicts: Array<{ type: string; provider: string; connectors: string[] }>;
}

/** A webhook delivery as `GET /api/webhooks/deliveries` answers it (its payload holds no token or secret). */
export interface WebhookDeliveryView {
  id: string;
  event: string;
  subject: string;
  sequence: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  payload: { connector?: { label: string; type: string; provider: string; owner: string }; provider?: { type: string; provider: string }; data?: Record<string, unknown> };
}

/** An audit entry as `GET /api/audit` answers it. */
export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  type: string;
  subject: string;
  outcome: string;
  detail: Record<string, unknown>;
}

/**
 * config-loader's admin API as the admin page uses it, server to server with the admin key from
 * this process's configuration (the browser never holds a key). config-loader owns loading,
 * providers, token purges and user keys; its answers and errors come back unchanged (an error as an
 * ApiError with config-loader's status, code and message), so the page says what the API says.
 */
@Injectable()
export class ConfigLoaderClient {
  private readonly logger = new Logger('ConfigLoaderClient');
  private readonly baseUrl: string;
  private readonly adminKey: string;

  constructor(@Inject(FLOW_CONFIG) config: FlowConfig) {
    this.baseUrl = config.configLoaderUrl;
    this.adminKey = config.adminKey;
  }

  /** Where config-loader is expected (FLOW_CONFIG_LOADER_URL), for messages. */
  get url(): string {
    return this.baseUrl;
  }

  /** The dry-run plan of a configuration file (its text as it is). */
  plan(text: string): Promise<{ applied: boolean; plan: LoadPlan }> {
    return this.call('POST', '/api/oauth-configurations?dryRun=true', text);
  }

  /** Loads a configuration file. */
  load(text: string): Promise<{ applied: boolean; plan: LoadPlan }> {
    return this.call('POST', '/api/oauth-configurations', text);
  }

  /** The loaded providers, secrets redacted, each with its state. */
  providers(): Promise<RedactedProviders> {
    return this.call('GET', '/api/oauth-configurations');
  }

  /** The sample file for all connector types. */
  template(): Promise<unknown> {
    return this.call('GET', '/api/oauth-configurations/template');
  }

  /** Deletes a provider (409 while a connector uses it). */
  async deleteProvider(type: string, provider: string): Promise<void> {
    await this.call('DELETE', `/api/oauth-configurations/${encodeURIComponent(type)}/${encodeURIComponent(provider)}`);
  }

  /** Purges the tokens of a provider's connectors, of one user or all. */
  purgeTokens(type: string, provider: string, user?: string): Promise<{ purged: number; connectors: string[] }> {
    const query = user ? `?user=${encodeURIComponent(user)}` : '';
    return this.call('DELETE', `/api/oauth-configurations/${encodeURIComponent(type)}/${encodeURIComponent(provider)}/tokens${query}`);
  }

  /** Every user (no keys). */
  users(): Promise<Array<{ name: string; createdAt: string }>> {
    return this.call('GET', '/api/users');
  }

  /** Issues a user's key: the one answer that holds it. */
  createUser(name: string): Promise<{ name: string; key: string }> {
    return this.call('POST', '/api/users', JSON.stringify({ name }));
  }

  /** Revokes a user's key (409 while the user owns connectors). */
  async deleteUser(name: string): Promise<void> {
    await this.call('DELETE', `/api/users/${encodeURIComponent(name)}`);
  }

  /** A connector type's setup guide for this deployment (404 for an unknown type). */
  setupGuide(type: string): Promise<ConnectorSetupGuide> {
    return this.call('GET', `/api/connector-types/${encodeURIComponent(type)}/setup`);
  }

  /** Webhook deliveries, newest first; the filter's parameters are checked by config-loader (400 naming them). */
  webhookDeliveries(filter: Record<string, string>): Promise<WebhookDeliveryView[]> {
    return this.call('GET', `/api/webhooks/deliveries${queryString(filter)}`);
  }

  /** Audit entries, oldest first; the filter's parameters are checked by config-loader (400 naming them). */
  audit(filter: Record<string, string>): Promise<AuditEntryView[]> {
    return this.call('GET', `/api/audit${queryString(filter)}`);
  }

  private async call<T>(method: string, path: string, body?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { appKey: this.adminKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      this.logger.error(`config-loader at ${this.baseUrl} did not answer ${method} ${path.split('?')[0]}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.name) : 'error'}`);
      throw new ApiError(503, 'config_loader_unavailable', `config-loader did not answer at ${this.baseUrl} (FLOW_CONFIG_LOADER_URL). Is it running (npx pm2 ls)? Nothing was changed.`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    if (res.status === 401) {
      // Never the key: only that the two processes disagree on it.
      throw new ApiError(502, 'config_loader_refused_key', 'config-loader refused the admin key of flow-oauth-server: both processes must run with the same FLOW_ADMIN_KEY. Nothing was changed.');
    }
    const answer = (json ?? {}) as Record<string, unknown>;
    const { error, message, ...extra } = answer;
    throw new ApiError(res.status, typeof error === 'string' ? error : 'config_loader_error', typeof message === 'string' ? message : `config-loader answered ${res.status}.`, extra);
  }
}

/** `?a=1&b=2` of the given values, or '' (empty values are left out). */
function queryString(values: Record<string, string>): string {
  const query = new URLSearchParams(Object.entries(values).filter(([, value]) => value !== ''));
  const text = query.toString();
  return text ? `?${text}` : '';
}
