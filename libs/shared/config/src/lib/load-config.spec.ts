import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './config-error';
import { instancePort } from './flow-config';
import { loadConfig } from './load-config';

const dirs: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-config-spec-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('loadConfig', () => {
  it('applies the documented defaults and generates the keys once into the data dir', () => {
    const cwd = tmp();
    const first = loadConfig({ cwd, env: {} });
    expect(first).toMatchObject({
      database: { type: 'sqlite', file: path.join(cwd, 'data', 'flow.sqlite') },
      redisUrl: 'redis://127.0.0.1:6379',
      ports: { configLoader: 3001, flowOauth: 3000, tokenRefresher: 3002 },
      publicUrl: 'http://localhost:3000',
      returnUrl: 'http://localhost:3000/Thingworx/Oauths/oauth/return',
      flowEnv: 'production',
      refreshMarginSeconds: 300,
      refreshConcurrency: 32,
      refreshSweepSeconds: 60,
      cacheSeconds: 10,
      allowedRedirectOrigins: [],
      maxConfigBytes: 5 * 1024 * 1024,
      instance: 0,
      log: { level: 'info', format: 'json' },
      generated: ['FLOW_ADMIN_KEY', 'FLOW_SERVICE_KEY', 'FLOW_ENCRYPTION_KEY'],
    });
    expect(first.encryptionKey).toHaveLength(32);
    const second = loadConfig({ cwd, env: {} });
    expect(second.generated).toEqual([]);
    expect([second.adminKey, second.serviceKey, second.encryptionKey.toString('base64')]).toEqual([first.adminKey, first.serviceKey, first.encryptionKey.toString('base64')]);
    expect(fs.statSync(path.join(cwd, 'data', 'generated-keys.json')).mode & 0o777).toBe(0o600);
  });

  it('FLOW_PUBLIC_URL, when unset, follows FLOW_OAUTH_PORT; when set, wins', () => {
    const cwd = tmp();
    expect(loadConfig({ cwd, env: { FLOW_OAUTH_PORT: '8080' } })).toMatchObject({
      ports: { flowOauth: 8080 },
      publicUrl: 'http://localhost:8080',
      returnUrl: 'http://localhost:8080/Thingworx/Oauths/oauth/return',
    });
    // Instance 1 listens on 8180, but the public URL stays the configured port's (the one a proxy or instance 0 serves).
    expect(loadConfig({ cwd, env: { FLOW_OAUTH_PORT: '8080', NODE_APP_INSTANCE: '1' } }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ cwd, env: { FLOW_OAUTH_PORT: '8080', FLOW_PUBLIC_URL: 'https://flow.example.com/' } }).publicUrl).toBe('https://flow.example.com');
  });

  it('names every invalid variable at once, never its value', () => {
    const secretish = 'not-base64-!!-SECRET';
    let error: unknown;
    try {
      loadConfig({
        cwd: tmp(),
        env: {
          DATABASE_URL: 'mysql://x',
          REDIS_URL: 'http://redis',
          FLOW_OAUTH_PORT: '70000',
          FLOW_PUBLIC_URL: 'ftp://x',
          FLOW_ENV: 'prod',
          REFRESH_MARGIN_SECONDS: '-1',
          REFRESH_CONCURRENCY: '0',
          REFRESH_SWEEP_SECONDS: '1.5',
          FLOW_CACHE_SECONDS: '301',
          FLOW_ALLOWED_REDIRECT_ORIGINS: 'https://a.example.com/path',
          FLOW_MAX_CONFIG_BYTES: 'lots',
          FLOW_ENCRYPTION_KEY: secretish,
          FLOW_ADMIN_KEY: 'has space in it',
          FLOW_SERVICE_KEY: 'service-key-000000',
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'FLOW_OAUTH_PORT', 'FLOW_PUBLIC_URL', 'FLOW_ENV', 'REFRESH_MARGIN_SECONDS', 'REFRESH_CONCURRENCY', 'REFRESH_SWEEP_SECONDS', 'FLOW_CACHE_SECONDS', 'FLOW_ALLOWED_REDIRECT_ORIGINS', 'FLOW_MAX_CONFIG_BYTES', 'FLOW_ENCRYPTION_KEY', 'FLOW_ADMIN_KEY']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain(secretish);
    expect(message).not.toContain('has space in it');
  });

  it('accepts a short key with a warning, and reads .env under the process environment', () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, '.env'), `# comment\nFLOW_ENV=staging\nFLOW_ADMIN_KEY="adminkey"\nFLOW_ENCRYPTION_KEY=${randomBytes(32).toString('base64')}\n`);
    // The machine's own environment (FLOW_ADMIN_KEY set in CI, say) must not decide what this test sees.
    const config = loadConfig({ cwd, processEnv: {} });
    expect(config.flowEnv).toBe('staging');
    expect(config.adminKey).toBe('adminkey');
    expect(config.warnings).toEqual([expect.stringContaining('FLOW_ADMIN_KEY is shorter than 32 characters')]);
    const overlaid = loadConfig({ cwd, processEnv: { FLOW_ADMIN_KEY: 'from-the-environment-0123456789-abcdef', FLOW_ENV: 'local' } });
    expect(overlaid).toMatchObject({ adminKey: 'from-the-environment-0123456789-abcdef', flowEnv: 'local', warnings: [] });
  });

  it('reads .env as dotenv does (export, quotes, trailing comments) and refuses a line that is not NAME=value', () => {
    const cwd = tmp();
    const key = randomBytes(32).toString('base64');
    fs.writeFileSync(
      path.join(cwd, '.env'),
      `export FLOW_ENV=development\nFLOW_ENCRYPTION_KEY='${key}'\nFLOW_ALLOWED_REDIRECT_ORIGINS=https://a.example.com # the UI\nFLOW_ADMIN_KEY="quoted#not-a-comment-0123456789abcdef" # a comment\n`,
    );
    const config = loadConfig({ cwd, processEnv: {} });
    expect(config).toMatchObject({ flowEnv: 'development', allowedRedirectOrigins: ['https://a.example.com'] });
    expect(config.encryptionKey.toString('base64')).toBe(key);
    expect(config.adminKey).toBe('quoted#not-a-comment-0123456789abcdef');
    const stray = tmp();
    fs.writeFileSync(path.join(stray, '.env'), `FLOW_ENV=staging\nthis-line-is-a-pasted-secret-0123\nREDIS_URL=redis://127.0.0.1:6379\n`);
    let error: unknown;
    try {
      loadConfig({ cwd: stray, processEnv: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`${path.join(stray, '.env')} has a line that is not NAME=value (before or at REDIS_URL, which is not read)`]);
    expect((error as ConfigError).message).not.toContain('pasted-secret');
  });

  it('reads FLOW_ENCRYPTION_OLD_KEYS as a comma-separated list of 32-byte base64 keys (empty by default)', () => {
    expect(loadConfig({ cwd: tmp(), env: {} }).oldEncryptionKeys).toEqual([]);
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const config = loadConfig({ cwd: tmp(), env: { FLOW_ENCRYPTION_OLD_KEYS: ` ${a.toString('base64')} , ${b.toString('base64')},` } });
    expect(config.oldEncryptionKeys.map((k) => k.toString('hex'))).toEqual([a.toString('hex'), b.toString('hex')]);
  });

  it('refuses an old key that is not 32 bytes of base64, naming the variable and the entry, never a value', () => {
    const good = randomBytes(32).toString('base64');
    const short = randomBytes(16).toString('base64');
    const garbage = 'not-a-key-SECRET-VALUE';
    let error: unknown;
    try {
      loadConfig({ cwd: tmp(), env: { FLOW_ENCRYPTION_OLD_KEYS: `${good},${short},${garbage}` } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('FLOW_ENCRYPTION_OLD_KEYS entry 2 of 3');
    expect(message).toContain('FLOW_ENCRYPTION_OLD_KEYS entry 3 of 3');
    expect(message).not.toContain('entry 1 of 3');
    for (const value of [good, short, garbage]) expect(message).not.toContain(value);
  });

  it('refuses the same key for admin and service', () => {
    expect(() => loadConfig({ cwd: tmp(), env: { FLOW_ADMIN_KEY: 'same-key-123456789', FLOW_SERVICE_KEY: 'same-key-123456789' } })).toThrow('FLOW_SERVICE_KEY must differ');
  });

  it('refuses admin and service keys under 32 characters when NODE_ENV=production, naming the variable and never the key', () => {
    const shortAdmin = 'short-admin-key-0123456789';
    const shortService = 'short-service-key-012345';
    let error: unknown;
    try {
      loadConfig({ cwd: tmp(), env: { NODE_ENV: 'production', FLOW_ADMIN_KEY: shortAdmin, FLOW_SERVICE_KEY: shortService } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'FLOW_ADMIN_KEY must be at least 32 characters when NODE_ENV=production (generated keys are)',
      'FLOW_SERVICE_KEY must be at least 32 characters when NODE_ENV=production (generated keys are)',
    ]);
    expect((error as ConfigError).message).not.toContain(shortAdmin);
    // Outside production the same keys start, with a warning each.
    const relaxed = loadConfig({ cwd: tmp(), env: { NODE_ENV: 'development', FLOW_ADMIN_KEY: shortAdmin, FLOW_SERVICE_KEY: shortService } });
    expect(relaxed.warnings).toEqual([
      'FLOW_ADMIN_KEY is shorter than 32 characters; NODE_ENV=production refuses it',
      'FLOW_SERVICE_KEY is shorter than 32 characters; NODE_ENV=production refuses it',
    ]);
    // Generated keys are long enough for production.
    const generated = loadConfig({ cwd: tmp(), env: { NODE_ENV: 'production' } });
    expect(generated.adminKey.length).toBeGreaterThanOrEqual(32);
    expect(generated.warnings).toEqual([]);
  });

  it('reads FLOW_BIND_HOST (unset: each app keeps its own default) and refuses what cannot be listened on', () => {
    expect(loadConfig({ cwd: tmp(), env: {} }).bindHost).toBeUndefined();
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'flow.internal.example.com']) {
      expect(loadConfig({ cwd: tmp(), env: { FLOW_BIND_HOST: host } }).bindHost).toBe(host);
    }
    for (const host of ['[::1]', '127.0.0.1:3001', 'http://0.0.0.0', 'bad host', '-leading.example.com']) {
      expect(() => loadConfig({ cwd: tmp(), env: { FLOW_BIND_HOST: host } })).toThrow('FLOW_BIND_HOST must be an IP address');
    }
  });

  it('reads FLOW_TRUST_PROXY (off by default) and the failed-authentication limits', () => {
    const defaults = loadConfig({ cwd: tmp(), env: {} });
    expect(defaults.trustProxy).toBe(false);
    expect(defaults.authFailures).toEqual({ limit: 30, windowSeconds: 60 });
    expect(loadConfig({ cwd: tmp(), env: { FLOW_TRUST_PROXY: '1' } }).trustProxy).toBe(1);
    expect(loadConfig({ cwd: tmp(), env: { FLOW_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' } }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    const everyone = loadConfig({ cwd: tmp(), env: { FLOW_TRUST_PROXY: 'true' } });
    expect(everyone.trustProxy).toBe(true);
    expect(everyone.warnings).toEqual([expect.stringContaining('FLOW_TRUST_PROXY=true trusts X-Forwarded-For from any client')]);
    for (const value of ['proxy.example.com', '10.0.0.0/33', 'maybe']) {
      expect(() => loadConfig({ cwd: tmp(), env: { FLOW_TRUST_PROXY: value } })).toThrow('FLOW_TRUST_PROXY must be');
    }
    expect(loadConfig({ cwd: tmp(), env: { FLOW_AUTH_FAILURE_LIMIT: '5', FLOW_AUTH_FAILURE_WINDOW_SECONDS: '600' } }).authFailures).toEqual({ limit: 5, windowSeconds: 600 });
    expect(() => loadConfig({ cwd: tmp(), env: { FLOW_AUTH_FAILURE_LIMIT: '0', FLOW_AUTH_FAILURE_WINDOW_SECONDS: 'a minute' } })).toThrow(
      /FLOW_AUTH_FAILURE_LIMIT must be[\s\S]*FLOW_AUTH_FAILURE_WINDOW_SECONDS must be/,
    );
  });

  it("reaches config-loader on loopback at CONFIG_LOADER_PORT by default, on FLOW_BIND_HOST's one address, or at FLOW_CONFIG_LOADER_URL", () => {
    expect(loadConfig({ cwd: tmp(), env: {} }).configLoaderUrl).toBe('http://127.0.0.1:3001');
    expect(loadConfig({ cwd: tmp(), env: { CONFIG_LOADER_PORT: '4001', FLOW_BIND_HOST: '0.0.0.0' } }).configLoaderUrl).toBe('http://127.0.0.1:4001');
    expect(loadConfig({ cwd: tmp(), env: { FLOW_BIND_HOST: '10.0.0.5' } }).configLoaderUrl).toBe('http://10.0.0.5:3001');
    expect(loadConfig({ cwd: tmp(), env: { FLOW_BIND_HOST: '::1' } }).configLoaderUrl).toBe('http://[::1]:3001');
    expect(loadConfig({ cwd: tmp(), env: { FLOW_CONFIG_LOADER_URL: 'https://admin.internal.example.com/' } }).configLoaderUrl).toBe('https://admin.internal.example.com');
    for (const value of ['admin.internal:3001', 'ftp://127.0.0.1:3001', 'http://127.0.0.1:3001/?x=1']) {
      expect(() => loadConfig({ cwd: tmp(), env: { FLOW_CONFIG_LOADER_URL: value } })).toThrow('FLOW_CONFIG_LOADER_URL must be an absolute http(s) URL');
    }
  });

  it('reads the log level and format, and refuses values it does not know', () => {
    expect(loadConfig({ cwd: tmp(), env: { FLOW_LOG_LEVEL: 'DEBUG', FLOW_LOG_FORMAT: 'pretty' } }).log).toEqual({ level: 'debug', format: 'pretty' });
    expect(() => loadConfig({ cwd: tmp(), env: { FLOW_LOG_LEVEL: 'loud' } })).toThrow(/FLOW_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(() => loadConfig({ cwd: tmp(), env: { FLOW_LOG_FORMAT: 'xml' } })).toThrow(/FLOW_LOG_FORMAT must be one of json, pretty/);
  });

  it("gives each pm2 instance of an app its own port, 100 apart, so the three apps' ports never collide", () => {
    const config = loadConfig({ cwd: tmp(), env: { NODE_APP_INSTANCE: '2' } });
    expect(config.instance).toBe(2);
    const ports = [0, 1, 2, 3].flatMap((i) => [config.ports.flowOauth, config.ports.configLoader, config.ports.tokenRefresher].map((p) => instancePort(p, i)));
    expect(ports.slice(6, 9)).toEqual([3200, 3201, 3202]);
    expect(new Set(ports).size).toBe(ports.length);
    // Port 0 (tests: any free port) stays 0 for every instance.
    expect(instancePort(0, 3)).toBe(0);
    expect(() => loadConfig({ cwd: tmp(), env: { NODE_APP_INSTANCE: 'one' } })).toThrow(/NODE_APP_INSTANCE must be a whole number/);
    expect(() => loadConfig({ cwd: tmp(), env: { NODE_APP_INSTANCE: '10', FLOW_OAUTH_PORT: '65000' } })).toThrow(/NODE_APP_INSTANCE 10 puts FLOW_OAUTH_PORT/);
  });

  it('has webhooks off, daily health checks, a 3-day reauth warning and a year of audit by default', () => {
    const config = loadConfig({ cwd: tmp(), env: {} });
    expect(config.webhooks).toEqual({ url: undefined, secret: undefined, retrySeconds: 10, retryMaxSeconds: 3600, giveUpHours: 72, retentionDays: 30 });
    expect(config.health).toEqual({ checkIntervalSeconds: 86_400, checksPerMinute: 60, scanSeconds: 30, reauthWarningSeconds: 259_200 });
    expect(config.auditRetentionDays).toBe(365);
  });

  it('reads the webhook settings, the secret never echoed', () => {
    const secret = 'whsec-0123456789abcdef';
    const config = loadConfig({
      cwd: tmp(),
      env: { FLOW_WEBHOOK_URL: 'https://hooks.example.com/flow?tenant=1', FLOW_WEBHOOK_SECRET: secret, FLOW_WEBHOOK_RETRY_SECONDS: '1', FLOW_WEBHOOK_RETRY_MAX_SECONDS: '2', FLOW_WEBHOOK_GIVE_UP_HOURS: '6', FLOW_WEBHOOK_RETENTION_DAYS: '7' },
    });
    expect(config.webhooks).toEqual({ url: 'https://hooks.example.com/flow?tenant=1', secret, retrySeconds: 1, retryMaxSeconds: 2, giveUpHours: 6, retentionDays: 7 });
  });

  it('refuses a webhook URL without its secret, naming FLOW_WEBHOOK_SECRET', () => {
    expect(() => loadConfig({ cwd: tmp(), env: { FLOW_WEBHOOK_URL: 'https://hooks.example.com/flow' } })).toThrow(/FLOW_WEBHOOK_SECRET must be set when FLOW_WEBHOOK_URL is set/);
    const secret16 = 'webhook-secret-0123456789';
    for (const bad of ['hooks.example.com/flow', '/flow', 'http:hooks.example.com', 'https://', 'mailto:ops@example.com', 'https://hooks.example.com/a b', 'https://hooks.example.com/#x']) {
      expect(() => loadConfig({ cwd: tmp(), env: { FLOW_WEBHOOK_URL: bad, FLOW_WEBHOOK_SECRET: secret16 } })).toThrow(/FLOW_WEBHOOK_URL must be an absolute http\(s\) URL/);
    }
    expect(loadConfig({ cwd: tmp(), env: { FLOW_WEBHOOK_URL: 'http://127.0.0.1:9000/hook', FLOW_WEBHOOK_SECRET: secret16 } }).webhooks.url).toBe('http://127.0.0.1:9000/hook');
  });

  it('refuses bad webhook, health and audit values, naming each variable and never the secret', () => {
    const weak = 'short-secret';
    let message = '';
    try {
      loadConfig({
        cwd: tmp(),
        env: {
          FLOW_WEBHOOK_URL: 'ftp://hooks.example.com',
          FLOW_WEBHOOK_SECRET: weak,
          FLOW_WEBHOOK_RETRY_SECONDS: '60',
          FLOW_WEBHOOK_RETRY_MAX_SECONDS: '30',
          FLOW_WEBHOOK_GIVE_UP_HOURS: '0',
          FLOW_WEBHOOK_RETENTION_DAYS: 'a month',
          FLOW_HEALTH_CHECK_INTERVAL_SECONDS: '-1',
          FLOW_HEALTH_CHECKS_PER_MINUTE: '0',
          FLOW_HEALTH_SCAN_SECONDS: '0',
          FLOW_REAUTH_WARNING_SECONDS: '3d',
          FLOW_AUDIT_RETENTION_DAYS: '0',
        },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of [
      'FLOW_WEBHOOK_URL',
      'FLOW_WEBHOOK_SECRET must be at least 16',
      'FLOW_WEBHOOK_RETRY_MAX_SECONDS must not be less than FLOW_WEBHOOK_RETRY_SECONDS',
      'FLOW_WEBHOOK_GIVE_UP_HOURS',
      'FLOW_WEBHOOK_RETENTION_DAYS',
      'FLOW_HEALTH_CHECK_INTERVAL_SECONDS',
      'FLOW_HEALTH_CHECKS_PER_MINUTE',
      'FLOW_HEALTH_SCAN_SECONDS',
      'FLOW_REAUTH_WARNING_SECONDS',
      'FLOW_AUDIT_RETENTION_DAYS',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain(weak);
  });

  it('warns about a webhook secret without a URL (nothing is sent)', () => {
    const config = loadConfig({ cwd: tmp(), env: { FLOW_WEBHOOK_SECRET: 'whsec-0123456789abcdef' } });
    expect(config.webhooks.url).toBeUndefined();
    expect(config.warnings).toContain('FLOW_WEBHOOK_SECRET is set but FLOW_WEBHOOK_URL is not: no webhook is sent');
  });
});
