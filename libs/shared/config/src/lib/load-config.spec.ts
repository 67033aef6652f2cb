import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './config-error';
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
      allowedRedirectOrigins: [],
      maxConfigBytes: 5 * 1024 * 1024,
      generated: ['FLOW_ADMIN_KEY', 'FLOW_SERVICE_KEY', 'FLOW_ENCRYPTION_KEY'],
    });
    expect(first.encryptionKey).toHaveLength(32);
    const second = loadConfig({ cwd, env: {} });
    expect(second.generated).toEqual([]);
    expect([second.adminKey, second.serviceKey, second.encryptionKey.toString('base64')]).toEqual([first.adminKey, first.serviceKey, first.encryptionKey.toString('base64')]);
    expect(fs.statSync(path.join(cwd, 'data', 'generated-keys.json')).mode & 0o777).toBe(0o600);
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
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'FLOW_OAUTH_PORT', 'FLOW_PUBLIC_URL', 'FLOW_ENV', 'REFRESH_MARGIN_SECONDS', 'FLOW_ALLOWED_REDIRECT_ORIGINS', 'FLOW_MAX_CONFIG_BYTES', 'FLOW_ENCRYPTION_KEY', 'FLOW_ADMIN_KEY']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain(secretish);
    expect(message).not.toContain('has space in it');
  });

  it('accepts a short key with a warning, and reads .env under the process environment', () => {
    const cwd = tmp();
    fs.writeFileSync(path.join(cwd, '.env'), `# comment\nFLOW_ENV=staging\nFLOW_ADMIN_KEY="adminkey"\nFLOW_ENCRYPTION_KEY=${randomBytes(32).toString('base64')}\n`);
    const config = loadConfig({ cwd });
    expect(config.flowEnv).toBe('staging');
    expect(config.adminKey).toBe(process.env['FLOW_ADMIN_KEY'] ?? 'adminkey');
    if (!process.env['FLOW_ADMIN_KEY']) expect(config.warnings).toEqual([expect.stringContaining('FLOW_ADMIN_KEY is shorter than 16 characters')]);
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
});
