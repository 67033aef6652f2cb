import * as path from 'node:path';
import type { DeploymentEnvironment } from '@flow-oauth/connector-definitions';
import { ConfigError } from './config-error';
import { readDotEnv } from './dotenv-file';
import { type DatabaseSettings, type FlowConfig, instancePort, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, RETURN_PATH } from './flow-config';
import { readOrCreateGeneratedKeys } from './generated-keys';
import { parseBindHost, parseTrustProxy } from './network-settings';

/** REFRESH_CONCURRENCY when unset: chosen from bench/refresh (README, Token lifecycle: why 32). */
export const DEFAULT_REFRESH_CONCURRENCY = 32;

const ENVIRONMENTS: readonly DeploymentEnvironment[] = ['local', 'development', 'staging', 'pre_prod', 'production'];
/** Shortest admin / service key NODE_ENV=production accepts (generated keys are 43 characters or more). */
export const MIN_KEY_LENGTH = 32;
/** Shortest FLOW_WEBHOOK_SECRET accepted: an HMAC key a receiver's attacker cannot guess. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

export interface LoadConfigOptions {
  /** Variables to read; defaults to `.env` in cwd overlaid by `processEnv`. */
  env?: Record<string, string | undefined>;
  /** The environment that overlays `.env` when `env` is not given (default: process.env). */
  processEnv?: Record<string, string | undefined>;
  cwd?: string;
}

/** Reads and validates every variable of SPEC section 6 at once; throws ConfigError naming each bad one. */
export function loadConfig(options: LoadConfigOptions = {}): FlowConfig {
  const cwd = options.cwd ?? process.cwd();
  const dotEnv = options.env ? undefined : readDotEnv(path.join(cwd, '.env'));
  const env = options.env ?? { ...dotEnv?.values, ...(options.processEnv ?? process.env) };
  const problems: string[] = [...(dotEnv?.problems ?? [])];
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const dataDir = path.resolve(cwd, get('FLOW_DATA_DIR') ?? './data');
  const database = parseDatabaseUrl(get('DATABASE_URL') ?? 'sqlite:./data/flow.sqlite', cwd, problems);
  const redisUrl = get('REDIS_URL') ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl) || !isUrl(redisUrl)) {
    problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  }
  const ports = {
    configLoader: port('CONFIG_LOADER_PORT', 3001),
    flowOauth: port('FLOW_OAUTH_PORT', 3000),
    tokenRefresher: port('TOKEN_REFRESHER_PORT', 3002),
  };
  // Set by pm2 for every process of an app (fork mode too): 0, 1, ... as `pm2 scale` adds them.
  const instance = integer('NODE_APP_INSTANCE', 0, 0, 999);
  for (const [name, base] of [['CONFIG_LOADER_PORT', ports.configLoader], ['FLOW_OAUTH_PORT', ports.flowOauth], ['TOKEN_REFRESHER_PORT', ports.tokenRefresher]] as const) {
    if (instancePort(base, instance) > 65_535) problems.push(`NODE_APP_INSTANCE ${instance} puts ${name} + ${instance} × 100 beyond 65535; use fewer instances or a lower port`);
  }
  const logLevel = (get('FLOW_LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`FLOW_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = (get('FLOW_LOG_FORMAT') ?? 'json').toLowerCase() as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) problems.push(`FLOW_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}`);
  // Unset, it follows FLOW_OAUTH_PORT: the return URL must reach this flow-oauth-server (instance 0's
  // port). Port 0 (any free port, tests) names no reachable URL: the documented 3000 then.
  const publicUrl = (get('FLOW_PUBLIC_URL') ?? `http://localhost:${ports.flowOauth || 3000}`).replace(/\/+$/, '');
  if (!isHttpUrl(publicUrl) || new URL(publicUrl).search || new URL(publicUrl).hash) {
    problems.push('FLOW_PUBLIC_URL must be an absolute http(s) URL without query or fragment');
  }
  const flowEnv = (get('FLOW_ENV') ?? 'production') as DeploymentEnvironment;
  if (!ENVIRONMENTS.includes(flowEnv)) problems.push(`FLOW_ENV must be one of ${ENVIRONMENTS.join(', ')}`);
  const refreshMarginSeconds = integer('REFRESH_MARGIN_SECONDS', 300, 0, 86_400);
  // Refreshes wait on the provider's HTTP answer, so a process keeps several in flight; the refreshes
  // in flight together also share their database statements (batched), see DEFAULT_REFRESH_CONCURRENCY.
  const refreshConcurrency = integer('REFRESH_CONCURRENCY', DEFAULT_REFRESH_CONCURRENCY, 1, 1000);
  const refreshSweepSeconds = integer('REFRESH_SWEEP_SECONDS', 60, 1, 3600);
  const cacheSeconds = integer('FLOW_CACHE_SECONDS', 10, 0, 300);
  const maxConfigBytes = integer('FLOW_MAX_CONFIG_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const allowedRedirectOrigins = (get('FLOW_ALLOWED_REDIRECT_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of allowedRedirectOrigins) {
    if (!isHttpUrl(origin) || new URL(origin).origin !== origin.replace(/\/+$/, '')) {
      problems.push('FLOW_ALLOWED_REDIRECT_ORIGINS must be a comma-separated list of origins like https://flow.example.com');
      break;
    }
  }

  const queuePrefix = get('FLOW_QUEUE_PREFIX') ?? 'flow';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(queuePrefix)) problems.push('FLOW_QUEUE_PREFIX must be 1-40 letters, digits, _ or -');

  let adminKey = get('FLOW_ADMIN_KEY');
  let serviceKey = get('FLOW_SERVICE_KEY');
  let encryptionKeyText = get('FLOW_ENCRYPTION_KEY');
  const generated: FlowConfig['generated'] = [];
  if (problems.length === 0 && (!adminKey || !serviceKey || !encryptionKeyText)) {
    const { keys, created } = readOrCreateGeneratedKeys(dataDir);
    if (!adminKey) {
      adminKey = keys.FLOW_ADMIN_KEY;
      if (created) generated.push('FLOW_ADMIN_KEY');
    }
    if (!serviceKey) {
      serviceKey = keys.FLOW_SERVICE_KEY;
      if (created) generated.push('FLOW_SERVICE_KEY');
    }
    if (!encryptionKeyText) {
      encryptionKeyText = keys.FLOW_ENCRYPTION_KEY;
      if (created) generated.push('FLOW_ENCRYPTION_KEY');
    }
  }
  const warnings: string[] = [];
  const production = get('NODE_ENV') === 'production';
  for (const [name, key] of [['FLOW_ADMIN_KEY', adminKey], ['FLOW_SERVICE_KEY', serviceKey]] as const) {
    if (key === undefined) continue;
    if (/\s/.test(key)) problems.push(`${name} must not contain spaces`);
    // A short key can be guessed however slowly failures are throttled: refused in production;
    // elsewhere (test rigs, a laptop) the operator's choice, said at start-up.
    else if (key.length < MIN_KEY_LENGTH && production) problems.push(`${name} must be at least ${MIN_KEY_LENGTH} characters when NODE_ENV=production (generated keys are)`);
    else if (key.length < MIN_KEY_LENGTH) warnings.push(`${name} is shorter than ${MIN_KEY_LENGTH} characters; NODE_ENV=production refuses it`);
  }
  if (adminKey !== undefined && adminKey === serviceKey) problems.push('FLOW_SERVICE_KEY must differ from FLOW_ADMIN_KEY');
  let encryptionKey = Buffer.alloc(0);
  if (encryptionKeyText !== undefined) {
    encryptionKey = Buffer.from(encryptionKeyText, 'base64');
    if (encryptionKey.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encryptionKeyText)) {
      problems.push('FLOW_ENCRYPTION_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)');
    }
  }
  const oldEncryptionKeys = parseOldEncryptionKeys(get('FLOW_ENCRYPTION_OLD_KEYS'), problems);

  const bindHost = parseBindHost(get('FLOW_BIND_HOST'));
  const trustProxy = parseTrustProxy(get('FLOW_TRUST_PROXY'));
  for (const parsed of [bindHost, trustProxy]) {
    if (parsed.problem) problems.push(parsed.problem);
    if (parsed.warning) warnings.push(parsed.warning);
  }
  const authFailures = {
    limit: integer('FLOW_AUTH_FAILURE_LIMIT', 30, 1, 1_000_000),
    windowSeconds: integer('FLOW_AUTH_FAILURE_WINDOW_SECONDS', 60, 1, 86_400),
  };

  const configLoaderUrl = (get('FLOW_CONFIG_LOADER_URL') ?? defaultConfigLoaderUrl(bindHost.value, ports.configLoader)).replace(/\/+$/, '');
  if (!isHttpUrl(configLoaderUrl) || new URL(configLoaderUrl).search || new URL(configLoaderUrl).hash) {
    problems.push('FLOW_CONFIG_LOADER_URL must be an absolute http(s) URL without query or fragment, such as http://127.0.0.1:3001');
  }
  const webhooks = parseWebhooks();
  const health = {
    checkIntervalSeconds: integer('FLOW_HEALTH_CHECK_INTERVAL_SECONDS', 86_400, 0, 365 * 86_400),
    checksPerMinute: integer('FLOW_HEALTH_CHECKS_PER_MINUTE', 60, 1, 100_000),
    scanSeconds: integer('FLOW_HEALTH_SCAN_SECONDS', 30, 1, 3600),
    reauthWarningSeconds: integer('FLOW_REAUTH_WARNING_SECONDS', 3 * 86_400, 0, 365 * 86_400),
  };
  const auditRetentionDays = integer('FLOW_AUDIT_RETENTION_DAYS', 365, 1, 36_500);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    database,
    redisUrl,
    ports,
    instance,
    log: { level: logLevel, format: logFormat },
    publicUrl,
    returnUrl: `${publicUrl}${RETURN_PATH}`,
    adminKey: adminKey as string,
    serviceKey: serviceKey as string,
    encryptionKey,
    oldEncryptionKeys,
    flowEnv,
    refreshMarginSeconds,
    refreshConcurrency,
    refreshSweepSeconds,
    cacheSeconds,
    allowedRedirectOrigins,
    maxConfigBytes,
    dataDir,
    queuePrefix,
    generated,
    warnings,
    bindHost: bindHost.value,
    trustProxy: trustProxy.value,
    authFailures,
    configLoaderUrl,
    webhooks,
    health,
    auditRetentionDays,
  };

  /** FLOW_WEBHOOK_*: a URL needs its signing secret; the secret is never echoed. */
  function parseWebhooks(): FlowConfig['webhooks'] {
    const url = get('FLOW_WEBHOOK_URL');
    const secret = get('FLOW_WEBHOOK_SECRET');
    // `http:hooks.example.com` parses as a URL too; an absolute one names its host after `//`.
    if (url !== undefined && (!/^https?:\/\/[^\s/?#]/i.test(url) || /\s/.test(url) || !isHttpUrl(url) || new URL(url).hash)) {
      problems.push('FLOW_WEBHOOK_URL must be an absolute http(s) URL without a fragment, such as https://hooks.example.com/flow');
    }
    if (url !== undefined && secret === undefined) problems.push('FLOW_WEBHOOK_SECRET must be set when FLOW_WEBHOOK_URL is set: every delivery is signed with it (e.g. `openssl rand -hex 32`)');
    if (secret !== undefined) {
      if (/\s/.test(secret)) problems.push('FLOW_WEBHOOK_SECRET must not contain spaces');
      else if (secret.length < MIN_WEBHOOK_SECRET_LENGTH) problems.push(`FLOW_WEBHOOK_SECRET must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`);
      if (url === undefined) warnings.push('FLOW_WEBHOOK_SECRET is set but FLOW_WEBHOOK_URL is not: no webhook is sent');
    }
    const retrySeconds = integer('FLOW_WEBHOOK_RETRY_SECONDS', 10, 1, 86_400);
    const retryMaxSeconds = integer('FLOW_WEBHOOK_RETRY_MAX_SECONDS', 3600, 1, 86_400);
    if (retryMaxSeconds < retrySeconds) problems.push('FLOW_WEBHOOK_RETRY_MAX_SECONDS must not be less than FLOW_WEBHOOK_RETRY_SECONDS');
    return {
      url,
      secret,
      retrySeconds,
      retryMaxSeconds,
      giveUpHours: integer('FLOW_WEBHOOK_GIVE_UP_HOURS', 72, 1, 24 * 365),
      retentionDays: integer('FLOW_WEBHOOK_RETENTION_DAYS', 30, 1, 36_500),
    };
  }

  function port(name: string, fallback: number): number {
    return integer(name, fallback, 0, 65_535);
  }

  function integer(name: string, fallback: number, min: number, max: number): number {
    const text = get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }
}

/**
 * config-loader as the other processes of this machine reach it: on loopback (its default listen
 * address), or on FLOW_BIND_HOST when that names one address rather than every interface.
 */
function defaultConfigLoaderUrl(bindHost: string | undefined, port: number): string {
  const host = bindHost === undefined || bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** FLOW_ENCRYPTION_OLD_KEYS: retired keys that still open sealed values during a rotation (comma-separated base64). */
function parseOldEncryptionKeys(text: string | undefined, problems: string[]): Buffer[] {
  const entries = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const keys: Buffer[] = [];
  entries.forEach((entry, i) => {
    const key = Buffer.from(entry, 'base64');
    // Named by position, never by value: the entry is a key.
    if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) {
      problems.push(`FLOW_ENCRYPTION_OLD_KEYS entry ${i + 1} of ${entries.length} is not 32 bytes in base64; list the old keys comma-separated, each as \`openssl rand -base64 32\` printed it`);
    } else keys.push(key);
  });
  return keys;
}

function parseDatabaseUrl(url: string, cwd: string, problems: string[]): DatabaseSettings {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) problems.push('DATABASE_URL sqlite: needs a file, e.g. sqlite:./data/flow.sqlite');
    return { type: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (/^postgres(ql)?:\/\//.test(url) && isUrl(url)) return { type: 'postgres', url };
  problems.push('DATABASE_URL must be sqlite:<file> or postgres://user@host:port/database');
  return { type: 'sqlite', file: '' };
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(text: string): boolean {
  return isUrl(text) && /^https?:$/.test(new URL(text).protocol);
}
