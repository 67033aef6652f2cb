#!/usr/bin/env node
// `npm start`: build, generate keys on first start (printed once, here), check Redis, then start or
// restart the three pm2 processes and wait until each one is online and answers GET /health.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { maskUrl, postgresProblem, redisProblem, REDIS_START_COMMAND } = require('./dependency-checks');

const ROOT = path.resolve(__dirname, '..');
const PM2 = path.join(ROOT, 'node_modules', '.bin', 'pm2');
const ECOSYSTEM = path.join(ROOT, 'ecosystem.config.js');
const CONFIG_LIB = path.join(ROOT, 'dist', 'libs', 'shared', 'config', 'src', 'index.js');
const APPS = ['config-loader', 'flow-oauth-server', 'token-refresher'];
const WAIT_MS = 90_000;
/** What a process exits with when it refuses its configuration (libs/shared/app-runtime); pm2 does not restart it. */
const CONFIG_ERROR_EXIT_CODE = 78;

class StartError extends Error {}

main().catch((error) => {
  if (!(error instanceof StartError)) console.error(error);
  console.error(`\nnpm start failed: ${error.message}`);
  process.exit(1);
});

async function main() {
  process.chdir(ROOT);
  requireNode(20, 19);
  build();
  const config = loadConfiguration();
  printGeneratedKeys(config);
  await requireDependencies(config);

  step('Starting the pm2 processes (restarting them if they already run)');
  pm2(['startOrRestart', ECOSYSTEM, '--update-env']);
  await waitUntilOnline();
  const ports = {
    'config-loader': config.ports.configLoader,
    'flow-oauth-server': config.ports.flowOauth,
    'token-refresher': config.ports.tokenRefresher,
  };
  const instances = await waitUntilHealthy(ports);

  pm2(['ls']);
  console.log(
    [
      '',
      'Flow OAuth is running:',
      `  flow-oauth-server  http://localhost:${ports['flow-oauth-server']}   public URL ${config.publicUrl}`,
      `                     OAuth return URL to register with every provider: ${config.returnUrl}`,
      `  config-loader      http://localhost:${ports['config-loader']}   admin API (appKey header)`,
      `  token-refresher    http://localhost:${ports['token-refresher']}/health`,
      ...scaledOut(instances),
      '  every process      GET /health, GET /metrics (Prometheus)',
      '',
      'Next: npm run flow-oauth -- template --out oauth-config.json   (fill in client ids and secrets)',
      '      npm run flow-oauth -- load oauth-config.json --dry-run   (then without --dry-run)',
      'Logs: npx pm2 logs (JSON lines; readable: npx pm2 logs --raw | npx pino-pretty)      Status: npx pm2 ls      Stop: npm run stop',
    ].join('\n'),
  );
}

function requireNode(major, minor) {
  const [maj, min] = process.versions.node.split('.').map(Number);
  if (maj < major || (maj === major && min < minor)) {
    throw new StartError(`Node ${major}.${minor} or newer is needed (this is ${process.version}).`);
  }
}

/**
 * Builds every time rather than comparing timestamps: Nx restores each project's build from its cache
 * when its sources and settings did not change, so an up-to-date build takes a second or two, and an
 * mtime check would miss a changed tsconfig, a checkout that keeps old mtimes, or a deleted source
 * file whose stale output would still run.
 */
function build() {
  const haveNx = fs.existsSync(path.join(ROOT, 'node_modules', 'nx')) && fs.existsSync(path.join(ROOT, 'node_modules', '@swc', 'core'));
  if (!haveNx) {
    if (fs.existsSync(CONFIG_LIB)) {
      step('The build tools are not installed (npm install --omit=dev?); using the existing dist/');
      return;
    }
    throw new StartError('dist/ is missing and the build tools (nx, @swc/core) are not installed: run `npm install` first.');
  }
  step(`Building (nx run-many -t build -p ${APPS.join(' ')})`);
  // No Nx daemon: `npm start` must not leave a background process of its own behind.
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'build', '-p', ...APPS, '--outputStyle=static'], {
    stdio: 'inherit',
    cwd: ROOT,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...process.env },
  });
  if (result.error) throw new StartError(`could not run nx: ${result.error.message}`);
  if (result.status !== 0) throw new StartError('the build failed (see the output above); nothing was started.');
}

/** Validates the configuration exactly as the apps will, generating the keys on first start. */
function loadConfiguration() {
  step('Checking the configuration (environment and .env)');
  const { loadConfig } = require(CONFIG_LIB);
  try {
    return loadConfig({ cwd: ROOT });
  } catch (error) {
    if (error && error.name === 'ConfigError') throw new StartError(error.message);
    throw new StartError(`the configuration could not be read: ${error.message}`);
  }
}

/** The only place a key is ever printed: right after it was generated. */
function printGeneratedKeys(config) {
  const shown = config.generated.filter((name) => name !== 'FLOW_ENCRYPTION_KEY');
  if (config.generated.length === 0) return;
  const file = path.join(config.dataDir, 'generated-keys.json');
  const lines = ['', `First start: generated ${config.generated.join(', ')} into ${file} (readable by this user only).`];
  if (shown.length > 0) lines.push('They are shown this once; the file keeps them.');
  if (shown.includes('FLOW_ADMIN_KEY')) lines.push(`  FLOW_ADMIN_KEY    ${config.adminKey}   admin API (appKey header; the CLI reads the file)`);
  if (shown.includes('FLOW_SERVICE_KEY')) lines.push(`  FLOW_SERVICE_KEY  ${config.serviceKey}   for workflow engines fetching tokens`);
  if (config.generated.includes('FLOW_ENCRYPTION_KEY')) {
    lines.push(`  FLOW_ENCRYPTION_KEY is not shown: back up ${config.dataDir} with the database; without it stored secrets cannot be read.`);
  }
  console.log(lines.join('\n') + '\n');
}

async function requireDependencies(config) {
  step(`Checking Redis at ${maskUrl(config.redisUrl)}`);
  const redis = await redisProblem(config.redisUrl);
  if (redis) {
    throw new StartError(
      `Redis (REDIS_URL) at ${redis}.\n` +
        'Start Redis, or set REDIS_URL in .env or the environment to one that answers. A local Redis:\n' +
        `  ${REDIS_START_COMMAND}`,
    );
  }
  if (config.database.type === 'postgres') {
    step(`Checking PostgreSQL at ${maskUrl(config.database.url)}`);
    const pg = await postgresProblem(config.database.url);
    if (pg) throw new StartError(`PostgreSQL (DATABASE_URL) at ${pg}.\nStart it, or unset DATABASE_URL to use the embedded SQLite file.`);
  }
}

function pm2(args, options = {}) {
  const result = spawnSync(PM2, args, { cwd: ROOT, encoding: 'utf8', stdio: options.capture ? 'pipe' : 'inherit' });
  if (result.error) throw new StartError(`could not run pm2 (${result.error.message}); run \`npm install\` first.`);
  if (result.status !== 0 && !options.capture && !options.tolerateFailure) throw new StartError(`pm2 ${args[0]} failed (exit ${result.status}).`);
  return result;
}

function pm2Processes() {
  const { stdout, status } = pm2(['jlist'], { capture: true });
  if (status !== 0) return [];
  const start = stdout.indexOf('[');
  try {
    return JSON.parse(stdout.slice(start, stdout.lastIndexOf(']') + 1));
  } catch {
    return [];
  }
}

async function waitUntilOnline() {
  step(`Waiting until ${APPS.join(', ')} are online`);
  const deadline = Date.now() + WAIT_MS;
  const firstRestartCount = new Map();
  for (;;) {
    // Several processes per name when an app is scaled out (pm2 `instances`, `pm2 scale`).
    const processes = pm2Processes().filter((p) => APPS.includes(p.name));
    for (const p of processes) if (!firstRestartCount.has(p.pm_id)) firstRestartCount.set(p.pm_id, p.pm2_env.restart_time);
    const namesOf = (list) => [...new Set(list.map((p) => p.name))];
    const looping = namesOf(processes.filter((p) => p.pm2_env.restart_time - firstRestartCount.get(p.pm_id) >= 3));
    if (looping.length > 0) failWithLogs(looping, `${looping.join(', ')} keep exiting at start-up (pm2 restarts them with a growing delay).`);
    // A stop exit code leaves pm2 (with exp_backoff_restart_delay) showing "waiting restart" forever.
    const failedProcesses = processes.filter((p) => ['errored', 'stopped'].includes(p.pm2_env.status) || (p.pm2_env.status === 'waiting restart' && p.pm2_env.exit_code === CONFIG_ERROR_EXIT_CODE));
    const failed = namesOf(failedProcesses);
    if (failed.length > 0) failWithLogs(failed, `${failed.join(', ')} did not start (pm2 status ${failedProcesses.map((p) => p.pm2_env.status).join(', ')}).`);
    if (APPS.every((name) => processes.some((p) => p.name === name)) && processes.every((p) => p.pm2_env.status === 'online')) return;
    if (Date.now() > deadline) failWithLogs(APPS, `not all processes came online within ${WAIT_MS / 1000} s.`);
    await sleep(500);
  }
}

/**
 * Waits until every instance of every app answers GET /health with 200 on its own port (instance
 * i of an app listens on its port + 100 × i, libs/shared/config). Returns the instances it checked.
 */
async function waitUntilHealthy(ports) {
  step('Waiting until GET /health answers 200 on every process');
  const { instancePort } = require(CONFIG_LIB);
  const instances = pm2Processes()
    .filter((p) => APPS.includes(p.name))
    .map((p) => ({ name: p.name, instance: Number(p.pm2_env.NODE_APP_INSTANCE ?? 0), port: instancePort(ports[p.name], Number(p.pm2_env.NODE_APP_INSTANCE ?? 0)) }));
  const deadline = Date.now() + WAIT_MS;
  const pending = new Set(instances);
  while (pending.size > 0) {
    for (const instance of [...pending]) {
      if ((await healthStatus(instance.port)) === 200) pending.delete(instance);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const names = [...new Set([...pending].map((i) => i.name))];
      failWithLogs(names, `${[...pending].map((i) => `${i.name} (port ${i.port})`).join(', ')} did not answer GET /health with 200 within ${WAIT_MS / 1000} s.`);
    }
    await sleep(500);
  }
  return instances;
}

/** A line per app that runs more than one instance, naming their ports. */
function scaledOut(instances) {
  return APPS.map((name) => instances.filter((i) => i.name === name).sort((a, b) => a.instance - b.instance))
    .filter((list) => list.length > 1)
    .map((list) => `  ${list[0].name.padEnd(18)} ${list.length} instances on ports ${list.map((i) => i.port).join(', ')}`);
}

function healthStatus(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function failWithLogs(names, message) {
  for (const name of names) {
    console.error(`\n--- last log lines of ${name} ---`);
    pm2(['logs', name, '--nostream', '--lines', '25'], { tolerateFailure: true });
  }
  throw new StartError(`${message}\nThe processes stay under pm2 (npx pm2 ls, npx pm2 logs); fix the cause and run npm start again.`);
}

function step(text) {
  console.log(`> ${text}`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
