import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSettings } from './cli-settings';

describe('resolveSettings', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-cli-settings-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const writeKeys = (folder: string, adminKey: string) => {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'generated-keys.json'), JSON.stringify({ FLOW_ADMIN_KEY: adminKey, FLOW_SERVICE_KEY: 's', FLOW_ENCRYPTION_KEY: 'e' }));
  };

  it('takes --key and --url first', () => {
    writeKeys(path.join(dir, 'data'), 'from-file');
    const settings = resolveSettings({ options: { key: 'from-flag', url: 'http://flow:9/' }, env: { FLOW_ADMIN_KEY: 'from-env' }, cwd: dir });
    expect(settings).toMatchObject({ url: 'http://flow:9', key: 'from-flag', keySource: '--key' });
  });

  it('then the environment, then .env, then the generated keys file', () => {
    writeKeys(path.join(dir, 'data'), 'from-file');
    expect(resolveSettings({ env: { FLOW_ADMIN_KEY: 'from-env' }, cwd: dir }).key).toBe('from-env');
    expect(resolveSettings({ env: {}, cwd: dir }).key).toBe('from-file');
    fs.writeFileSync(path.join(dir, '.env'), '# local\nFLOW_ADMIN_KEY="from-dotenv"\n');
    expect(resolveSettings({ env: {}, cwd: dir })).toMatchObject({ key: 'from-dotenv', keySource: '.env' });
  });

  it('reads .env as the apps do (node:util parseEnv): export, quotes and a trailing comment', () => {
    fs.writeFileSync(path.join(dir, '.env'), "export FLOW_ADMIN_KEY='from-dotenv#1' # the admin key\nCONFIG_LOADER_PORT=4002\n");
    expect(resolveSettings({ env: {}, cwd: dir })).toMatchObject({ url: 'http://localhost:4002', key: 'from-dotenv#1', keySource: '.env' });
  });

  it('finds the keys file under FLOW_DATA_DIR and the port from CONFIG_LOADER_PORT', () => {
    writeKeys(path.join(dir, 'elsewhere'), 'from-data-dir');
    const settings = resolveSettings({ env: { FLOW_DATA_DIR: 'elsewhere', CONFIG_LOADER_PORT: '4001' }, cwd: dir });
    expect(settings).toMatchObject({ url: 'http://localhost:4001', key: 'from-data-dir' });
  });

  it('prefers FLOW_CONFIG_LOADER_URL over the port, and says where it looked when no key exists', () => {
    const settings = resolveSettings({ env: { FLOW_CONFIG_LOADER_URL: 'https://admin.example.com', CONFIG_LOADER_PORT: '4001' }, cwd: dir });
    expect(settings.url).toBe('https://admin.example.com');
    expect(settings.key).toBeUndefined();
    expect(settings.looked).toContain(path.join(dir, 'data', 'generated-keys.json'));
  });
});
