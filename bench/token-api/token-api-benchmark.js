// bench token-api: throughput and p50/p99 latency of GET /api/connectors/:id/token (a fresh token:
// it expires in an hour, so no refresh) beside a bare route of the SAME server process, in the same
// run, under the same load tool (autocannon, programmatic), connection count and duration, each case
// after its own warm-up (SPEC section 8). Targets: token throughput at least 0.8x the bare route's,
// and p99 at most 2 ms at one connection. Then how long a change on one flow-oauth-server instance
// (connector delete, token purge, needs_reauth, user delete) takes to stop another instance serving.
//
// How it runs (`npm run bench -- token-api`, or `node bench/token-api/token-api-benchmark.js`):
// - Two flow-oauth-server child processes of one deployment (database, keys, Redis prefix), each
//   bench/token-api/token-api-server.ts executed from the TypeScript source through
//   bench/token-api/ts-register.js (@swc/core with jest's options and the tsconfig path aliases), so no
//   `npm run build` is needed and the current source is what is measured. Each builds the app as the
//   e2e harness does (createHttpApp + FlowOAuthServerModule.forRoot + configureFlowOAuthServer,
//   testConfig), plus the bare route `GET /__bench/bare` -> {"ok":true}: a Nest middleware of the root
//   module, so it sits behind the same helmet, the same access-log and metrics middleware and the same
//   Express router as the token route, and does nothing else (no guard, no controller, no database).
//   The primary migrates a fresh database, loads the providers, creates the user and the connector and
//   later makes the changes; the second process is the one measured and only serves (a transaction
//   such as a provider load leaves AsyncLocalStorage enabled in its process, which no production
//   flow-oauth-server runs).
// - The load generator (autocannon) runs in this process, so it does not share an event loop with
//   the server; on a 2-core machine each gets roughly one core.
// - Cases: bare route (no auth); token API with the service key (Authorization: Bearer, compared in
//   memory); token API with a user key (the key's owner, then ownership of the connector).
// - Every case is warmed up first; then each round measures every case at --connections, then at one
//   connection, starting with another case each round, and the tables show the medians over rounds,
//   so a shared machine's load falls on all cases alike. Latency percentiles are computed from every
//   2xx response time autocannon reports (its own histogram keeps whole milliseconds only).
//   `server µs/req` is the CPU time the measured process used per answered request (from /proc): a
//   figure that the machine's other load changes far less than req/s, and whose ratio (bare / token)
//   says the same as the throughput ratio when the server is the limit.
// - Invalidation: for each kind of change, a connector (or user key) is served by the measured
//   instance, the change is made on the primary, and the measured instance is polled back to back until
//   it refuses (404 / 409 / 401); the time from the start of the change to that refusal is printed
//   (median and max).
// - The children close their apps; the primary drops the database and deletes its Redis keys and data
//   dir; both exit when told to (or when this process goes away). About 100 s with the defaults.
// - Exit code 0 when measured (a missed target is reported, as in bench load); 1 if anything failed,
//   a case saw errors or non-2xx answers, or an instance kept serving after a change for 5 s.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { benchOptions } = require('../shared/bench-start');

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(__dirname, 'ts-register.js');
const SERVER = path.join(__dirname, 'token-api-server.ts');
const BARE_ROUTE = '/__bench/bare';
const TARGET_RATIO = 0.8;
const TARGET_P99_MS = 2;
const INVALIDATION_LIMIT_MS = 5000;
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux
const DEFAULTS = { connections: 10, duration: 4, warmup: 1, rounds: 3, trials: 10, db: 'sqlite', user: true };
const USAGE = `Usage: npm run bench -- token-api [--connections <n>] [--duration <s>] [--warmup <s>] [--rounds <n>] [--trials <n>] [--db sqlite|postgres] [--no-user] [--quick]
  --connections <n>  concurrent keep-alive connections of the throughput figures (default ${DEFAULTS.connections}); latency is also measured at 1
  --duration <s>     measured seconds per case and connection count (default ${DEFAULTS.duration})
  --warmup <s>       unmeasured seconds before each case (default ${DEFAULTS.warmup})
  --rounds <n>       interleaved rounds; tables show the median of each figure (default ${DEFAULTS.rounds})
  --trials <n>       changes per kind in the invalidation step, 0 to skip it (default ${DEFAULTS.trials})
  --db <kind>        database of the server (default ${DEFAULTS.db})
  --no-user          skip the user-key case
  --quick            --rounds 1 --duration 2 --warmup 1 --trials 3`;

function parseArgs(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const number = (name, min) => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < min) throw new Error(`--${name} needs a whole number >= ${min}`);
      options[name] = value;
    };
    if (arg === '--connections') number('connections', 1);
    else if (arg === '--duration') number('duration', 1);
    else if (arg === '--warmup') number('warmup', 0);
    else if (arg === '--rounds') number('rounds', 1);
    else if (arg === '--trials') number('trials', 0);
    else if (arg === '--db') {
      options.db = argv[++i];
      if (!['sqlite', 'postgres'].includes(options.db)) throw new Error('--db is sqlite or postgres');
    } else if (arg === '--no-user') options.user = false;
    else if (arg === '--quick') Object.assign(options, { rounds: 1, duration: 2, warmup: 1, trials: 3 });
    else if (arg === '--help' || arg === '-h') return undefined;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** Starts a server child (primary, or a sibling given the primary's deployment) and resolves with what it reported once ready. */
function startServer(db, role = 'primary', deployment) {
  const child = spawn(process.execPath, ['-r', REGISTER, SERVER, db, role], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: process.env });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (deployment) child.send({ deployment });

  const pending = new Map();
  let nextId = 1;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`flow-oauth-server (${role}) did not become ready within 60 s`)), 60_000);
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error); // run() adds the server's last output lines
    }
    child.on('message', (message) => {
      if (message && message.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      } else if (message && message.reply !== undefined) {
        const waiter = pending.get(message.reply);
        pending.delete(message.reply);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      }
    });
    exited.then((code) => fail(new Error(`the server (${role}) exited with code ${code} before it was ready`)));
  });

  return {
    ready,
    pid: child.pid,
    output: () => output,
    /** Runs a command in the primary (create a connector, purge, ...) and resolves with its result. */
    command(op, args) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, op, ...args });
      });
    },
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

const pollAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const changeAgent = new http.Agent({ keepAlive: true });

/** One plain request (keep-alive), to check a route answers what the load will measure, and to poll. */
function get(url, headers, method = 'GET', agent = pollAgent) {
  return new Promise((resolve, reject) => {
    http
      .request(url, { method, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      })
      .on('error', reject)
      .end();
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

function median(values) {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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

async function measure(testCase, connections, options, serverPid) {
  const { url, headers } = testCase;
  const run = { connections, duration: options.duration };
  if (options.warmup > 0) await cannon(url, headers, { connections, duration: options.warmup });
  const latencies = [];
  const serverBefore = processCpuSeconds(serverPid);
  const clientBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const r = await cannon(url, headers, run, latencies);
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const client = process.cpuUsage(clientBefore);
  const serverAfter = processCpuSeconds(serverPid);
  const sorted = Float64Array.from(latencies).sort();
  const serverSeconds = serverBefore === undefined || serverAfter === undefined ? NaN : serverAfter - serverBefore;
  return {
    reqPerSec: r.requests.total / wall,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    total: r.requests.total,
    failures: r.errors + r.timeouts,
    non2xx: r.non2xx,
    serverCpu: serverSeconds / wall,
    serverMicrosPerRequest: r.requests.total > 0 ? (serverSeconds * 1e6) / r.requests.total : NaN,
    clientCpu: (client.user + client.system) / 1e6 / wall,
  };
}

/** Medians over the rounds of one case; errors and non-2xx answers summed. */
function summarize(name, runs) {
  const pick = (key) => median(runs.map((r) => r[key]));
  return {
    name,
    reqPerSec: pick('reqPerSec'),
    p50: pick('p50'),
    p99: pick('p99'),
    serverMicrosPerRequest: pick('serverMicrosPerRequest'),
    serverCpu: pick('serverCpu'),
    clientCpu: pick('clientCpu'),
    total: runs.reduce((sum, r) => sum + r.total, 0),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

function table(rows) {
  const header = ['route', 'req/s', 'p50 ms', 'p99 ms', 'server µs/req', 'requests', 'errors', 'non-2xx', 'server CPU', 'autocannon CPU'];
  const pct = (x) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(0)}%`);
  const fixed = (x, digits) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
  const lines = rows.map((r) => [
    r.name,
    fixed(r.reqPerSec, 0),
    fixed(r.p50, 2),
    fixed(r.p99, 2),
    fixed(r.serverMicrosPerRequest, 0),
    String(r.total),
    String(r.failures),
    String(r.non2xx),
    pct(r.serverCpu),
    pct(r.clientCpu),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Polls `url` on the other instance back to back until it answers `refused` (or the limit passes); ms since `since`. */
async function pollUntil(url, headers, refused, since) {
  for (;;) {
    const answer = await get(url, headers);
    const elapsed = Number(process.hrtime.bigint() - since) / 1e6;
    if (answer.status === refused) return elapsed;
    if (answer.status !== 200) throw new Error(`the other instance answered ${answer.status} ${answer.text.slice(0, 200)}, not 200 or ${refused}`);
    if (elapsed > INVALIDATION_LIMIT_MS) return Infinity;
  }
}

/**
 * For each kind of change: something the second instance serves (a connector's token, a user's key),
 * the change made on the first instance, and the time until the second refuses it.
 */
async function measureInvalidation(primary, target, siblingUrl, trials) {
  const service = { authorization: `Bearer ${target.serviceKey}` };
  const tokenUrl = (base, id) => `${base}/api/connectors/${id}/token`;
  const kinds = [
    {
      name: 'connector deleted (DELETE /api/connectors/:id)',
      refused: 404,
      async prepare(i) {
        return { id: await primary.command('connector', { owner: `bench-delete-${i}`, provider: 'odata' }) };
      },
      probe: (state) => ({ url: tokenUrl(siblingUrl, state.id), headers: service }),
      async change(state) {
        const answer = await get(`${target.url}/api/connectors/${state.id}`, { authorization: `Bearer ${target.adminKey}` }, 'DELETE', changeAgent);
        if (answer.status !== 204) throw new Error(`DELETE answered ${answer.status}`);
      },
    },
    {
      name: 'tokens purged (provider, user)',
      refused: 409,
      async prepare(i) {
        const owner = `bench-purge-${i}`;
        return { owner, id: await primary.command('connector', { owner, provider: 'odata' }) };
      },
      probe: (state) => ({ url: tokenUrl(siblingUrl, state.id), headers: service }),
      change: (state) => primary.command('purge', { owner: state.owner }),
    },
    {
      name: 'needs_reauth (invalid_grant at a refresh)',
      refused: 409,
      async prepare(i) {
        return { id: await primary.command('connector', { owner: `bench-reauth-${i}`, provider: 'odata' }) };
      },
      probe: (state) => ({ url: tokenUrl(siblingUrl, state.id), headers: service }),
      async change(state) {
        const status = await primary.command('needsReauth', { connectorId: state.id });
        if (status !== 'needs_reauth') throw new Error(`the refresh ended ${status}, not needs_reauth`);
      },
    },
    {
      name: 'user deleted (its key)',
      refused: 401,
      async prepare(i) {
        const name = `bench-key-${i}`;
        return { name, key: await primary.command('createUser', { name }) };
      },
      probe: (state) => ({ url: `${siblingUrl}/api/connectors`, headers: { authorization: `Bearer ${state.key}` } }),
      change: (state) => primary.command('deleteUser', { name: state.name }),
    },
  ];

  const results = [];
  for (const kind of kinds) {
    const times = [];
    const changeTimes = [];
    for (let i = 0; i < trials; i++) {
      const state = await kind.prepare(i);
      const { url, headers } = kind.probe(state);
      // Served by the other instance (twice: the second answer comes from whatever it keeps).
      for (let n = 0; n < 2; n++) {
        const before = await get(url, headers);
        if (before.status !== 200) throw new Error(`${kind.name}: the other instance answered ${before.status} before the change`);
      }
      const since = process.hrtime.bigint();
      let changeMs;
      const changed = Promise.resolve(kind.change(state)).then(() => (changeMs = Number(process.hrtime.bigint() - since) / 1e6));
      const refusedAfter = await pollUntil(url, headers, kind.refused, since);
      await changed;
      times.push(refusedAfter);
      changeTimes.push(changeMs);
    }
    results.push({ name: kind.name, median: median(times), max: Math.max(...times), change: median(changeTimes) });
  }
  return results;
}

async function run(argv) {
  const { options, exitCode } = await benchOptions('token-api', argv, { parseArgs, usage: USAGE, needsPostgres: (o) => o.db === 'postgres' });
  if (!options) return exitCode;

  const started = Date.now();
  console.log(
    `bench token-api: flow-oauth-server (from source, ${options.db}) in a child process; autocannon in the bench process; ` +
      `${options.rounds} round(s) of ${options.warmup} s warm-up + ${options.duration} s per case at ${options.connections} connections, then at 1.`,
  );
  console.log(`load average (1, 5, 15 min) at start: ${loadAverage()} on ${os.cpus().length} CPUs`);
  // The primary creates the deployment (database, providers, user, connector) and later makes the
  // changes; the measured instance is a second process that only serves. Loading providers runs a
  // transaction, whose AsyncLocalStorage would stay enabled in that process and tax every promise
  // after it: a flow-oauth-server in production never runs one (config-loader loads providers).
  const primary = startServer(options.db);
  let server;
  try {
    const target = await primary.ready;
    server = startServer(options.db, 'sibling', target.deployment);
    const measured = await server.ready;
    const tokenUrl = `${measured.url}/api/connectors/${target.connectorId}/token`;
    const service = { authorization: `Bearer ${target.serviceKey}` };
    const user = { authorization: `Bearer ${target.userKey}` };

    // Each case must answer what we think it answers before it is loaded.
    const bare = await get(`${measured.url}${BARE_ROUTE}`, {});
    if (bare.status !== 200 || bare.text !== '{"ok":true}') throw new Error(`bare route answered ${bare.status}`);
    for (const [who, headers] of [['service', service], ['user', user]]) {
      const answer = await get(tokenUrl, headers);
      const token = answer.status === 200 ? JSON.parse(answer.text).access_token : undefined;
      if (token !== target.accessToken) throw new Error(`token API with the ${who} key answered ${answer.status}, not the connector's token`);
    }

    const cases = [
      { name: `GET ${BARE_ROUTE} (bare)`, url: `${measured.url}${BARE_ROUTE}`, headers: {} },
      { name: 'GET /api/connectors/:id/token (service key)', url: tokenUrl, headers: service },
    ];
    if (options.user) cases.push({ name: 'GET /api/connectors/:id/token (user key)', url: tokenUrl, headers: user });
    const runs = { many: cases.map(() => []), one: cases.map(() => []) };
    // The code every case runs is compiled and the start-up garbage collected before anything is
    // measured; then each round starts with another case, so no case always runs first.
    for (const testCase of cases) await cannon(testCase.url, testCase.headers, { connections: options.connections, duration: Math.max(2, options.warmup) });
    for (let round = 1; round <= options.rounds; round++) {
      const order = cases.map((_, i) => (i + round - 1) % cases.length);
      for (const i of order) runs.many[i].push(await measure(cases[i], options.connections, options, server.pid));
      for (const i of order) runs.one[i].push(await measure(cases[i], 1, options, server.pid));
      console.log(`round ${round}/${options.rounds} done; load average ${loadAverage()}`);
    }
    const many = cases.map((c, i) => summarize(c.name, runs.many[i]));
    const one = cases.map((c, i) => summarize(c.name, runs.one[i]));
    const of = options.rounds > 1 ? ` (medians of ${options.rounds} rounds)` : '';
    console.log(`\nAt ${options.connections} connections${of}:\n${table(many)}\n`);
    console.log(`At 1 connection${of}:\n${table(one)}\n`);

    for (const [i, row] of many.entries()) {
      if (i === 0) continue;
      const label = row.name.replace('GET /api/connectors/:id/token', 'token API');
      const ratio = row.reqPerSec / many[0].reqPerSec;
      const cpuRatio = many[0].serverMicrosPerRequest / row.serverMicrosPerRequest;
      console.log(
        `${label} / bare throughput at ${options.connections} connections: ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'}); ` +
          `server CPU per request, bare / token: ${Number.isNaN(cpuRatio) ? '-' : cpuRatio.toFixed(2)}`,
      );
    }
    for (const [i, row] of one.entries()) {
      if (i === 0) continue;
      const label = row.name.replace('GET /api/connectors/:id/token', 'token API');
      console.log(`${label} at 1 connection: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms (target p99 <= ${TARGET_P99_MS} ms: ${row.p99 <= TARGET_P99_MS ? 'met' : 'MISSED'})`);
    }
    let broken = false;
    for (const row of [...many, ...one]) {
      if (row.failures || row.non2xx) {
        broken = true;
        console.log(`${row.name} had ${row.failures} errors and ${row.non2xx} non-2xx answers: its figures are not trustworthy`);
      }
    }

    if (options.trials > 0) {
      const results = await measureInvalidation(primary, target, measured.url, options.trials);
      console.log(
        `\nA change on one flow-oauth-server instance, and the time until a second instance refuses what it served ` +
          `(from the start of the change; median / max of ${options.trials}; and when the change's own call returned, median):`,
      );
      for (const r of results) {
        const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : `still served after ${INVALIDATION_LIMIT_MS} ms`);
        console.log(`  ${r.name.padEnd(48)} ${ms(r.median)} / ${ms(r.max)}   (change returned after ${ms(r.change)})`);
        if (!Number.isFinite(r.max)) broken = true;
      }
    }
    console.log(`\nload average at end: ${loadAverage()}`);
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return broken ? 1 : 0;
  } catch (error) {
    error.message += `\n--- primary server output (last lines) ---\n${primary.output().split('\n').slice(-15).join('\n')}`;
    if (server) error.message += `\n--- measured server output (last lines) ---\n${server.output().split('\n').slice(-15).join('\n')}`;
    throw error;
  } finally {
    await server?.stop();
    await primary.stop();
    pollAgent.destroy();
    changeAgent.destroy();
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
