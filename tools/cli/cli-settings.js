// Where the CLI finds the config-loader and the admin key: flags, then environment, then `.env`,
// then the keys file `npm start` generated. Takes env and cwd as arguments so tests can drive it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseEnv } = require('node:util');

const GENERATED_KEYS_FILE = 'generated-keys.json';

/** The variables of a `.env` file, read by Node's own parser as the apps read it (libs/shared/config); {} when absent. */
function readDotEnv(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  return parseEnv(text);
}

/**
 * The config-loader URL and admin key for this invocation, and where the key came from (for
 * messages; the key itself is never printed). `key` is undefined when none was found.
 */
function resolveSettings({ options = {}, env = process.env, cwd = process.cwd() } = {}) {
  const dotEnv = readDotEnv(path.join(cwd, '.env'));
  const pick = (name) => (env[name] && env[name].trim()) || (dotEnv[name] && dotEnv[name].trim()) || undefined;

  const port = pick('CONFIG_LOADER_PORT') || '3001';
  const url = (options.url || pick('FLOW_CONFIG_LOADER_URL') || `http://localhost:${port}`).replace(/\/+$/, '');

  if (options.key) return { url, key: options.key, keySource: '--key' };
  if (env.FLOW_ADMIN_KEY && env.FLOW_ADMIN_KEY.trim()) return { url, key: env.FLOW_ADMIN_KEY.trim(), keySource: 'FLOW_ADMIN_KEY' };
  if (dotEnv.FLOW_ADMIN_KEY && dotEnv.FLOW_ADMIN_KEY.trim()) return { url, key: dotEnv.FLOW_ADMIN_KEY.trim(), keySource: '.env' };
  const keysFile = path.join(path.resolve(cwd, pick('FLOW_DATA_DIR') || 'data'), GENERATED_KEYS_FILE);
  try {
    const keys = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
    if (keys && typeof keys.FLOW_ADMIN_KEY === 'string' && keys.FLOW_ADMIN_KEY) return { url, key: keys.FLOW_ADMIN_KEY, keySource: keysFile };
  } catch {
    // No keys file: the caller explains every place it looked.
  }
  return { url, key: undefined, keySource: undefined, looked: ['--key', 'FLOW_ADMIN_KEY', path.join(cwd, '.env'), keysFile] };
}

module.exports = { readDotEnv, resolveSettings, GENERATED_KEYS_FILE };
