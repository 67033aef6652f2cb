import type { DeploymentEnvironment } from '@flow-oauth/connector-definitions';
import type { TrustProxySetting } from './network-settings';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** How a process logs (FLOW_LOG_LEVEL, FLOW_LOG_FORMAT). */
export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
}

/**
 * pm2 starts the instances of one app (`instances: N`, `pm2 scale`) with the same environment, so
 * instance i listens on its configured port + i × this step: one port per instance, and steps of
 * 100 keep the three apps' neighbouring defaults (3000, 3001, 3002) from ever colliding.
 */
export const INSTANCE_PORT_STEP = 100;

/** The port instance `instance` of an app listens on; 0 (any free port) stays 0. */
export function instancePort(port: number, instance: number): number {
  return port === 0 ? 0 : port + INSTANCE_PORT_STEP * instance;
}

export type DatabaseSettings = { type: 'sqlite'; file: string } | { type: 'postgres'; url: string };

/** The validated configuration every process reads (SPEC section 6). */
export interface FlowConfig {
  database: DatabaseSettings;
  redisUrl: string;
  /** Configured ports; instance i of an app listens on `instancePort(port, instance)`. */
  ports: { configLoader: number; flowOauth: number; tokenRefresher: number };
  /** Which pm2 instance of its app this process is (pm2's NODE_APP_INSTANCE; 0 outside pm2). */
  instance: number;
  log: LogSettings;
  publicUrl: string;
  /** `<FLOW_PUBLIC_URL>/Thingworx/Oauths/oauth/return`, registered with every provider. */
  returnUrl: string;
  adminKey: string;
  serviceKey: string;
  encryptionKey: Buffer;
  /** FLOW_ENCRYPTION_OLD_KEYS: retired keys that still open (never seal) during a key rotation. */
  oldEncryptionKeys: Buffer[];
  flowEnv: DeploymentEnvironment;
  refreshMarginSeconds: number;
  /** Refresh jobs in flight per token-refresher process (REFRESH_CONCURRENCY). */
  refreshConcurrency: number;
  /** How often the webhook safety sweep runs across all token-refresher processes (REFRESH_SWEEP_SECONDS). */
  refreshSweepSeconds: number;
  /**
   * FLOW_CACHE_SECONDS: how long flow-oauth-server serves a token answer, and takes a user key, from
   * memory without reading the database (events end it sooner on every instance); 0 = never.
   */
  cacheSeconds: number;
  allowedRedirectOrigins: string[];
  maxConfigBytes: number;
  dataDir: string;
  /** Prefix of every BullMQ queue and Redis key this deployment uses (FLOW_QUEUE_PREFIX, default flow). */
  queuePrefix: string;
  /** Which generated keys were created by this call (so the caller can print them once). */
  generated: Array<'FLOW_ADMIN_KEY' | 'FLOW_SERVICE_KEY' | 'FLOW_ENCRYPTION_KEY'>;
  /** Acceptable but unwise values, logged at start-up (never with the value). */
  warnings: string[];
  /** FLOW_BIND_HOST: the listen address of every HTTP service; undefined = each app's own default. */
  bindHost: string | undefined;
  /** FLOW_TRUST_PROXY: Express `trust proxy`, so the client address is the one a reverse proxy saw. Off by default. */
  trustProxy: TrustProxySetting;
  /** Failed authentication per client address: `limit` failures per `windowSeconds`, then blocked for the window. */
  authFailures: { limit: number; windowSeconds: number };
  /**
   * FLOW_CONFIG_LOADER_URL: where flow-oauth-server's admin page reaches config-loader's API (server to
   * server, with the admin key). Default: config-loader's listen address and CONFIG_LOADER_PORT.
   */
  configLoaderUrl: string;
  /** Signed webhooks (FLOW_WEBHOOK_*); `url` undefined: no webhook is recorded or sent. */
  webhooks: WebhookSettings;
  /** Scheduled health checks and warnings before a grant lapses (FLOW_HEALTH_*, FLOW_REAUTH_WARNING_SECONDS). */
  health: HealthSettings;
  /** FLOW_AUDIT_RETENTION_DAYS: audit entries older than this are pruned (daily). */
  auditRetentionDays: number;
}

/** Where and how connector and provider events are POSTed. */
export interface WebhookSettings {
  /** FLOW_WEBHOOK_URL; undefined when webhooks are off. */
  url: string | undefined;
  /** FLOW_WEBHOOK_SECRET: the HMAC-SHA256 key of `X-Flow-Signature` (set whenever `url` is). */
  secret: string | undefined;
  /** FLOW_WEBHOOK_RETRY_SECONDS: wait before the first retry; doubled at each further one. */
  retrySeconds: number;
  /** FLOW_WEBHOOK_RETRY_MAX_SECONDS: longest wait between two attempts. */
  retryMaxSeconds: number;
  /** FLOW_WEBHOOK_GIVE_UP_HOURS: a delivery still failing this long after its event is given up (`failed`). */
  giveUpHours: number;
  /** FLOW_WEBHOOK_RETENTION_DAYS: delivered and given-up deliveries are pruned after this. */
  retentionDays: number;
}

/** Connector health: scheduled validation and the reauth warning. */
export interface HealthSettings {
  /** FLOW_HEALTH_CHECK_INTERVAL_SECONDS: each connector's token is validated this often (0: only after refreshes). */
  checkIntervalSeconds: number;
  /** FLOW_HEALTH_CHECKS_PER_MINUTE: most validation calls per provider per minute, across all token-refreshers. */
  checksPerMinute: number;
  /** FLOW_HEALTH_SCAN_SECONDS: how often token-refresher looks for due checks and reauth warnings. */
  scanSeconds: number;
  /** FLOW_REAUTH_WARNING_SECONDS: `connector.reauth_due` goes out this long before a grant lapses. */
  reauthWarningSeconds: number;
}

export const FLOW_CONFIG = Symbol('FLOW_CONFIG');

export const RETURN_PATH = '/Thingworx/Oauths/oauth/return';
