// config-loader as production runs it (node dist/apps/config-loader/src/main.js), on a private
// temp SQLite file, a free port and a unique Redis prefix; stopped and cleaned up by `stop()`.
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'config-loader', 'src', 'main.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts config-loader and resolves once it told us it is ready (the same signal pm2 waits for). */
async function startConfigLoader({ redisUrl, queuePrefix }) {
  if (!fs.existsSync(MAIN)) throw new Error(`${path.relative(ROOT, MAIN)} is missing: run \`npm run build\` first.`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-bench-load-'));
  const port = await freePort();
  const adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  const database = path.join(dir, 'flow.sqlite');
  // cwd is the temp dir, so a developer's .env at the repo root does not leak into the measurement.
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH,
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
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('config-loader did not become ready within 30 s')), 30_000);
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- config-loader output ---\n${output}`));
    }
    child.on('message', (message) => {
      if (message === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => fail(new Error(`config-loader exited with code ${code} before it was ready`)));
  });

  return {
    url: `http://127.0.0.1:${port}`,
    adminKey,
    database,
    output: () => output,
    async stop() {
      child.removeAllListeners('exit');
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startConfigLoader, freePort };
