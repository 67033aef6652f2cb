// config-loader as production runs it (node dist/apps/config-loader/src/main.js), on a private
// temp SQLite file, a free port and a unique Redis prefix; stopped and cleaned up by `stop()`.
'use strict';

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, startDistApp } = require('../shared/dist-app');

/** Starts config-loader and resolves once it told us it is ready (the same signal pm2 waits for). */
async function startConfigLoader({ redisUrl, queuePrefix }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-bench-load-'));
  const port = await freePort();
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const database = path.join(dir, 'flow.sqlite');
  let app;
  try {
    // cwd is the temp dir, so a developer's .env at the repo root does not leak into the measurement.
    app = await startDistApp('config-loader', {
      cwd: dir,
      readyTimeoutMs: 30_000,
      killAfterMs: 10_000,
      env: {
        FLOW_DATA_DIR: dir,
        DATABASE_URL: `sqlite:${database}`,
        REDIS_URL: redisUrl,
        FLOW_QUEUE_PREFIX: queuePrefix,
        CONFIG_LOADER_PORT: String(port),
        FLOW_ADMIN_KEY: adminKey,
        FLOW_SERVICE_KEY: `bench-service-${randomBytes(16).toString('hex')}`,
        FLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        FLOW_MAX_CONFIG_BYTES: String(256 * 1024 * 1024),
      },
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    adminKey,
    database,
    output: app.output,
    async stop() {
      await app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startConfigLoader };
