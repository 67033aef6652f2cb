import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type FlowConfig, loadConfig } from '@flow-oauth/config';

export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

// Data dirs of this test process, removed when it exits.
const createdDirs: string[] = [];
process.once('exit', () => {
  for (const dir of createdDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A complete FlowConfig for a test: explicit keys, ephemeral ports, a private data dir. */
export function testConfig(overrides: Record<string, string> = {}): FlowConfig {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-test-data-'));
  createdDirs.push(dataDir);
  return loadConfig({
    cwd: dataDir,
    env: {
      FLOW_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${path.join(dataDir, 'flow.sqlite')}`,
      REDIS_URL: TEST_REDIS_URL,
      FLOW_ADMIN_KEY: `test-admin-${randomBytes(12).toString('hex')}`,
      FLOW_SERVICE_KEY: `test-service-${randomBytes(12).toString('hex')}`,
      FLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      CONFIG_LOADER_PORT: '0',
      FLOW_OAUTH_PORT: '0',
      TOKEN_REFRESHER_PORT: '0',
      ...overrides,
    },
  });
}

/** A unique Redis key prefix so suites running in parallel never see each other's queues. */
export function testRedisPrefix(name: string): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}
