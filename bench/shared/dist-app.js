// One Flow OAuth process as production runs it (node dist/apps/<app>/src/main.js), with the
// environment the bench gives it and nothing else (no .env: cwd is a temp dir the caller owns).
// Resolves once the process says it is ready (the same IPC signal pm2 waits for).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux

/** The built entry point of an app; throws with the command to run when dist/ is missing. */
function distMain(app) {
  const main = path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${path.relative(ROOT, main)} is missing: run \`npm run build\` first.`);
  return main;
}

/** A port that was free a moment ago on 127.0.0.1. */
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

/**
 * Starts `app` from dist with exactly `env` (plus PATH) in `cwd` (node flags in `execArgv`); resolves once it is ready.
 * `stop()` sends SIGINT (a graceful stop, as pm2 does) and SIGKILLs after `killAfterMs`.
 */
async function startDistApp(app, { env, cwd, readyTimeoutMs = 60_000, killAfterMs = 15_000, execArgv = [] }) {
  const child = spawn(process.execPath, [...execArgv, distMain(app)], { cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { PATH: process.env.PATH, ...env } });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-16_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${app} did not become ready within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- ${app} output (last lines) ---\n${output.split('\n').slice(-20).join('\n')}`));
    }
    child.on('message', (message) => {
      if (message === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => fail(new Error(`${app} exited with code ${code} before it was ready`)));
  });

  return {
    app,
    pid: child.pid,
    output: () => output,
    /** Peak resident memory of the process so far (VmHWM), in bytes; NaN where there is no /proc. */
    peakRssBytes: () => procStatusKb(child.pid, 'VmHWM') * 1024,
    /** CPU seconds (user + system) the process used so far; NaN where there is no /proc. */
    cpuSeconds: () => processCpuSeconds(child.pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function procStatusKb(pid, field) {
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process used so far, from /proc; NaN where there is no /proc. */
function processCpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

module.exports = { ROOT, distMain, freePort, startDistApp, processCpuSeconds };
