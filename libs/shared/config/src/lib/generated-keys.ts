import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config-error';

export interface GeneratedKeys {
  FLOW_ADMIN_KEY: string;
  FLOW_SERVICE_KEY: string;
  FLOW_ENCRYPTION_KEY: string;
}

export const GENERATED_KEYS_FILE = 'generated-keys.json';

/**
 * Reads the keys generated on first start, creating them when absent. Several processes start at
 * once under pm2, so creation is a write to a private temp file followed by link(2), which fails
 * if another process won: everyone then reads the winner's file.
 */
export function readOrCreateGeneratedKeys(dataDir: string): { keys: GeneratedKeys; created: boolean } {
  const file = path.join(dataDir, GENERATED_KEYS_FILE);
  const existing = tryRead(file);
  if (existing) return { keys: existing, created: false };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keys: GeneratedKeys = {
    FLOW_ADMIN_KEY: `flow_admin_${randomBytes(24).toString('base64url')}`,
    FLOW_SERVICE_KEY: `flow_service_${randomBytes(24).toString('base64url')}`,
    FLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return { keys, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = tryRead(file);
    if (!winner) throw new Error(`${file} exists but cannot be read`);
    return { keys: winner, created: false };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function tryRead(file: string): GeneratedKeys | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<GeneratedKeys>;
  try {
    parsed = JSON.parse(text) as Partial<GeneratedKeys>;
  } catch {
    throw new ConfigError([`${file} is not valid JSON; restore it from backup (it holds the keys that encrypt the database)`]);
  }
  if (!parsed.FLOW_ADMIN_KEY || !parsed.FLOW_SERVICE_KEY || !parsed.FLOW_ENCRYPTION_KEY) {
    throw new ConfigError([`${file} is incomplete; restore it from backup, or remove it only if no data was stored yet`]);
  }
  return parsed as GeneratedKeys;
}
