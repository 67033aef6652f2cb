// bench token-api: throughput and p50/p99 latency of GET /api/connectors/:id/token (a fresh token:
// it expires in an hour, so no refresh) beside a bare route of the SAME server process, in the same
// run, under the same load tool (autocannon, programmatic), connection count and duration, each case
// after its own warm-up (SPEC section 8). Target: token throughput at least half the bare route's.
//
// How it runs (`npm run bench -- token-api`, or `node bench/token-api/token-api-benchmark.js`):
// - The server is a child process: bench/token-api/token-api-server.ts, executed from the TypeScript
//   source through bench/token-api/ts-register.js (@swc/core with jest's options and the tsconfig
//   path aliases), so no `npm run build` is needed and the current source is what is measured. It
//   builds flow-oauth-server as the e2e harness does (createHttpApp + FlowOAuthServerModule.forRoot +
//   configureFlowOAuthServer, testConfig, a freshly migrated temp database) and registers the bare
//   route `GET /__bench/bare` -> {"ok":true} directly on its Express instance before listen.
// - The load generator (autocannon) runs in this process, so it does not share an event loop with
//   the server; on a 2-core machine each gets roughly one core.
// - Cases: bare route (no auth); token API with the service key (Authorization: Bearer, compared in
//   memory); token API with a user key (one DB lookup of the key hash per request, plus ownership).
// - Latency percentiles are computed from every 2xx response time autocannon reports (its own
//   histogram keeps whole milliseconds only). The table also shows the CPU each side used during the
//   measured seconds (% of one core, from /proc): the server, not autocannon, must be the limit.
// - The child closes the app, drops the database, deletes its Redis keys and its data dir, and exits
//   when told to (or when this process goes away); about 40 s with the defaults.
// - Exit code 0 when measured (a missed target is reported, as in bench load); 1 if anything failed
//   or a case saw errors or non-2xx answers.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const autocannon = require('autocannon');
const { postgresProblem, redisProblem } = require('../../tools/dependency-checks');

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(__dirname, 'ts-register.js');
const SERVER = path.join(__dirname, 'token-api-server.ts');
const BARE_ROUTE = '/__bench/bare';
const TARGET_RATIO = 0.5;
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux
const DEFAULTS = { connections: 10, duration: 10, warmup: 2, db: 'sqlite', user: true };
const USAGE = `Usage: npm run bench -- token-api [--connections <n>] [--duration <s>] [--warmup <s>] [--db sqlite|postgres] [--no-user] [--quick]
  --connections <n>  concurrent keep-alive connections (default ${DEFAULTS.connections})
  --duration <s>     measured seconds per case (default ${DEFAULTS.duration})
  --warmup <s>       unmeasured seconds before each case (default ${DEFAULTS.warmup})
  --db <kind>        database of the server (default ${DEFAULTS.db})
  --no-user          skip the user-key case
  --quick            --duration 3 --warmup 1`;

function parseArgs(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const number = (name) => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} needs a whole number`);
      options[name] = value;
    };
    if (arg === '--connections') number('connections');
    else if (arg === '--duration') number('duration');
    else if (arg === '--warmup') number('warmup');
    else if (arg === '--db') {
      options.db = argv[++i];
      if (!['sqlite', 'postgres'].includes(options.db)) throw new Error('--db is sqlite or postgres');
    } else if (arg === '--no-user') options.user = false;
    else if (arg === '--quick') Object.assign(options, { duration: 3, warmup: 1 });
    else if (arg === '--help' || arg === '-h') return undefined;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** Starts the server child and resolves with its target once it reported ready. */
function startServer(db) {
  const child = spawn(process.execPath, ['-r', REGISTER, SERVER, db], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: process.env });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('flow-oauth-server did not become ready within 60 s')), 60_000);
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error); // run() adds the server's last output lines
    }
    child.on('message', (message) => {
      if (message && message.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      }
    });
    exited.then((code) => fail(new Error(`the server exited with code ${code} before it was ready`)));
  });

  return {
    ready,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** One plain request, to check a route answers what the load will measure. */
function get(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      })
      .on('error', reject);
  });
}

/** One autocannon run; `latencies` (ms, sub-millisecond precision) collects 2xx response times when given. */
function cannon(url, headers, { connections, duration }, latencies) {
  const instance = autocannon({ url, headers, connections, duration, pipelining: 1 });
  // autocannon's own histogram keeps whole milliseconds, too coarse for a local route.
  if (latencies) instance.on('response', (_client, status, _bytes, ms) => status >= 200 && status < 300 && latencies.push(ms));
  return instance;
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** CPU seconds (user + system) a process used so far, from /proc; undefined where there is no /proc. */
function processCpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

async function measure(name, url, headers, options, serverPid) {
  if (options.warmup > 0) await cannon(url, headers, { ...options, duration: options.warmup });
  const latencies = [];
  const serverBefore = processCpuSeconds(serverPid);
  const clientBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const r = await cannon(url, headers, options, latencies);
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const client = process.cpuUsage(clientBefore);
  const serverAfter = processCpuSeconds(serverPid);
  const sorted = Float64Array.from(latencies).sort();
  return {
    name,
    reqPerSec: r.requests.average,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    total: r.requests.total,
    failures: r.errors + r.timeouts,
    non2xx: r.non2xx,
    serverCpu: serverBefore === undefined || serverAfter === undefined ? NaN : (serverAfter - serverBefore) / wall,
    clientCpu: (client.user + client.system) / 1e6 / wall,
  };
}

function table(rows) {
  const header = ['route', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'non-2xx', 'server CPU', 'autocannon CPU'];
  const pct = (x) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(0)}%`);
  const lines = rows.map((r) => [r.name, r.reqPerSec.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.total), String(r.failures), String(r.non2xx), pct(r.serverCpu), pct(r.clientCpu)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

async function run(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const redisDown = await redisProblem(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379');
  if (redisDown) {
    console.error(`bench token-api needs Redis: ${redisDown}. Set TEST_REDIS_URL.`);
    return 1;
  }
  if (options.db === 'postgres') {
    const pgDown = await postgresProblem(process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test');
    if (pgDown) {
      console.error(`bench token-api --db postgres needs PostgreSQL: ${pgDown}. Set TEST_POSTGRES_URL.`);
      return 1;
    }
  }

  const started = Date.now();
  console.log(
    `bench token-api: flow-oauth-server (from source, ${options.db}) in a child process; autocannon in the bench process; ` +
      `${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s per case.`,
  );
  const server = startServer(options.db);
  try {
    const target = await server.ready;
    const tokenUrl = `${target.url}/api/connectors/${target.connectorId}/token`;
    const service = { authorization: `Bearer ${target.serviceKey}` };
    const user = { authorization: `Bearer ${target.userKey}` };

    // Each case must answer what we think it answers before it is loaded.
    const bare = await get(`${target.url}${BARE_ROUTE}`, {});
    if (bare.status !== 200 || bare.text !== '{"ok":true}') throw new Error(`bare route answered ${bare.status}`);
    for (const [who, headers] of [['service', service], ['user', user]]) {
      const answer = await get(tokenUrl, headers);
      const token = answer.status === 200 ? JSON.parse(answer.text).access_token : undefined;
      if (token !== target.accessToken) throw new Error(`token API with the ${who} key answered ${answer.status}, not the connector's token`);
    }

    const rows = [await measure(`GET ${BARE_ROUTE} (bare)`, `${target.url}${BARE_ROUTE}`, {}, options, server.pid)];
    rows.push(await measure('GET /api/connectors/:id/token (service key)', tokenUrl, service, options, server.pid));
    if (options.user) rows.push(await measure('GET /api/connectors/:id/token (user key)', tokenUrl, user, options, server.pid));

    console.log(`\n${table(rows)}\n`);
    // Like bench load: a missed target is a figure, reported; only a broken measurement fails the run.
    let broken = false;
    for (const row of rows.slice(1)) {
      const ratio = row.reqPerSec / rows[0].reqPerSec;
      console.log(`${row.name.replace('GET /api/connectors/:id/token', 'token API')} / bare throughput: ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`);
    }
    for (const row of rows) {
      if (row.failures || row.non2xx) {
        broken = true;
        console.log(`${row.name} had ${row.failures} errors and ${row.non2xx} non-2xx answers: its figures are not trustworthy`);
      }
    }
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return broken ? 1 : 0;
  } catch (error) {
    error.message += `\n--- server output (last lines) ---\n${server.output().split('\n').slice(-15).join('\n')}`;
    throw error;
  } finally {
    await server.stop();
  }
}

module.exports = { run };

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
