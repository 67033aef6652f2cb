// bench refresh (SPEC section 8): how fast token-refresher refreshes a batch of connectors that all
// come due at once, end to end (due read, lock, token request, seal, write), beside the same token
// calls made by a bare node:http keep-alive client at the same concurrency with no queue and no
// database, in the same run against the same endpoint. Target: at least 0.5x the bare client (0.8x
// is the mark to aim for), zero refused refresh tokens. Beside them, the floor: the same client
// doing what any broker that stores each token set must do at least, to show whether the target is
// reachable on this machine.
//
// How it runs (`npm run bench -- refresh`; needs `npm run build`, Redis, and PostgreSQL for --db postgres):
// - A token endpoint (bench/refresh/token-endpoint.js) in a child process: node:http, rotating refresh
//   tokens, refuses any refresh token that is not the latest of its family and counts the refusals.
// - The product from dist/, each process started as production starts it: config-loader (migrations,
//   and the provider is loaded through its API), --servers flow-oauth-server instances (a refresh
//   sends them nothing; they run beside it as in production), and --processes token-refresher
//   processes with REFRESH_CONCURRENCY=--concurrency, on a fresh SQLite file or PostgreSQL database
//   and a private Redis prefix of the shared Redis.
// - N connectors are stored through the product's own classes (ConnectorTokenStore: tokens sealed
//   and bound to their row), and made due at one instant through the schedule itself: every
//   next_refresh_at moved to that instant (refresh-fixture.js, storeAllDueAtOnce). The refreshers'
//   due-refresh loops run the whole time. The run ends when every connector's tokens were written
//   again; each write time minus the due instant is its lag.
// - Then the product's processes stop, and the bare client makes N refresh calls (other token
//   families) at the concurrency the refreshers used: --concurrency per process x --processes.
// - Then the floor client, the same client at the same concurrency on N connectors of its own (token
//   family <db><processes>f, stored by the product's ConnectorTokenStore) in the run's database: for
//   each, open the sealed refresh token with the product's SecretBox, call, seal the new access and
//   refresh tokens for their row (the places the product uses), and write them with one UPDATE by
//   the bare driver (better-sqlite3 with the product's pragmas; a pg pool as large as the
//   refreshers' pools together). Writes batched per event-loop turn as the product batches them; no lock, no schedule. Its tokens are then opened by the
//   product's store to check them.
// - Figures: refreshes/s (N / time from the due instant to the last write), the bare client's calls/s,
//   the ratio, the floor's refreshes/s and its ratio to the bare client, the lag p50 / p99, the peak
//   RSS of each refresher (VmHWM), its CPU seconds and CPU µs per refresh (beside the bare client's
//   CPU µs per call and the floor's per refresh, this process only: not the database server's), the
//   endpoint's refusals, and the number of sockets the refreshers opened to the endpoint.
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { deleteRedisKeys } = require('../../tools/redis-keys');
const { benchOptions } = require('../shared/bench-start');
const { createBenchDatabase } = require('../shared/bench-database');
const { freePort, startDistApp } = require('../shared/dist-app');
const { connectorRows, distLib, insertRows, openProduct, refreshProgress, runId, storeAllDueAtOnce, writeTimes, wrongGenerations } = require('./refresh-fixture');

const TARGET_RATIO = 0.5;
const CLIENT_ID = 'benchclient';
const CLIENT_SECRET = `benchsecret${randomBytes(8).toString('hex')}`;
const PROVIDER = { type: 'odata', name: 'Bench-Refresh' };
// Connectors are written expiring in 30 min with a margin of an hour: due at once. The endpoint's
// tokens live two hours, so a refreshed connector is not due again during the run.
const MARGIN_SECONDS = 3600;
const SEED_EXPIRES_IN_SECONDS = 1800;
const ENDPOINT_EXPIRES_IN_SECONDS = 7200;
const DEFAULTS = { n: 10_000, dbs: ['sqlite', 'postgres'], processes: [1, 2], concurrency: undefined, servers: 1, cpuProf: undefined };
const USAGE = `Usage: npm run bench -- refresh [--n <connectors>] [--db sqlite|postgres|both] [--processes 1|2|both] [--concurrency <n>] [--servers <n>] [--quick]
  --n <n>            connectors due at once (default ${DEFAULTS.n})
  --db <kind>        database (default both, one run each)
  --processes <n>    token-refresher processes (default both: 1 and 2, one run each)
  --concurrency <n>  refreshes in flight per process, given to the refreshers as REFRESH_CONCURRENCY
                     (default: the product's default, DEFAULT_REFRESH_CONCURRENCY in libs/shared/config)
  --servers <n>      flow-oauth-server instances running beside them (default ${DEFAULTS.servers})
  --cpu-prof <dir>   write a V8 CPU profile of each refresher into <dir> (node --cpu-prof; open in Chrome DevTools)
  --quick            --n 2000 --db sqlite --processes 1 (about 20 s; the ratio is the last line)`;

function parseArgs(argv) {
  const options = { ...DEFAULTS, quick: false };
  options.concurrency = distLib('shared/config').DEFAULT_REFRESH_CONCURRENCY;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const whole = (name, min, max) => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} needs a whole number from ${min} to ${max}`);
      return value;
    };
    if (arg === '--n') options.n = whole('n', 1, 1_000_000);
    else if (arg === '--concurrency') options.concurrency = whole('concurrency', 1, 512);
    else if (arg === '--servers') options.servers = whole('servers', 0, 8);
    else if (arg === '--cpu-prof') {
      const value = argv[++i];
      if (!value) throw new Error('--cpu-prof needs a directory');
      options.cpuProf = path.resolve(value);
    }
    else if (arg === '--db') {
      const value = argv[++i];
      if (!['sqlite', 'postgres', 'both'].includes(value)) throw new Error('--db is sqlite, postgres or both');
      options.dbs = value === 'both' ? ['sqlite', 'postgres'] : [value];
    } else if (arg === '--processes') {
      const value = argv[++i];
      if (!['1', '2', 'both'].includes(value)) throw new Error('--processes is 1, 2 or both');
      options.processes = value === 'both' ? [1, 2] : [Number(value)];
    } else if (arg === '--quick') Object.assign(options, { quick: true, n: 2000, dbs: ['sqlite'], processes: [1] });
    else if (arg === '--help' || arg === '-h') return undefined;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** The token endpoint child; resolves with its URL, a stats() query and stop(). */
async function startTokenEndpoint() {
  const child = spawn(process.execPath, [path.join(__dirname, 'token-endpoint.js'), CLIENT_ID, CLIENT_SECRET, String(ENDPOINT_EXPIRES_IN_SECONDS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the token endpoint exited with code ${code}`)));
    child.on('message', (message) => message && message.ready && resolve(message.ready.port));
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (message) => {
          if (message && message.stats) {
            child.off('message', onMessage);
            resolve(message.stats);
          }
        };
        child.on('message', onMessage);
        child.send({ cmd: 'stats' });
      }),
    stop: () => {
      child.disconnect();
      child.kill('SIGTERM');
    },
  };
}

/**
 * `n` refresh calls by a bare node:http client with a keep-alive agent, `concurrency` at a time,
 * each answer read and parsed. `tokenOf(i)` is the refresh token of call i; `onAnswer(i, answer)`
 * (may return a promise) runs before that worker's next call. Resolves with the elapsed ms.
 */
async function clientRefreshes(url, n, concurrency, tokenOf, onAnswer) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(url);
  const authorization = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
  const call = (i) =>
    new Promise((resolve, reject) => {
      const body = `grant_type=refresh_token&refresh_token=${encodeURIComponent(tokenOf(i))}`;
      const req = http.request(
        { agent, host: hostname, port, method: 'POST', path: '/token', headers: { authorization, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (res.statusCode !== 200 || !answer.access_token) reject(new Error(`bare client: HTTP ${res.statusCode} ${answer.error}`));
            else resolve(answer);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const answer = await call(i);
        if (onAnswer) await onAnswer(i, answer);
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();
  return ms;
}

/**
 * The baseline: `n` refresh calls (family `family`) by the bare client, `concurrency` at a time,
 * each answer read and parsed. Resolves with the elapsed ms.
 */
function bareRefreshes(url, n, concurrency, family) {
  return clientRefreshes(url, n, concurrency, (i) => `rt.${family}${i}.0`);
}

/** Where the product seals a connector's tokens (ConnectorTokenStore's accessTokenOf / refreshTokenOf). */
const tokenPlace = (column, id) => ({ table: 'connectors', column, row: id });

/**
 * The floor: what any broker that stores each token set must do at least, by the bare client at the
 * same concurrency against the same endpoint, on `n` connectors of their own (token family `family`,
 * stored by the product's ConnectorTokenStore, not due) in the run's database: for each, open its
 * sealed refresh token (the product's SecretBox and key, the product's places), call the endpoint,
 * seal the answer's access and refresh tokens for that row, and write them with one UPDATE by the
 * bare driver (better-sqlite3 with the product's pragmas / a pg pool as large as the refreshers'
 * pools together), the answers of one turn of the event loop together as the product batches them
 * (one transaction on SQLite, one UPDATE ... FROM (VALUES ...) on PostgreSQL). No lock, no pending
 * copy, no schedule, no history. Resolves with the elapsed ms,
 * this process's CPU, the endpoint's counts and the connectors whose stored tokens are not the new
 * ones when opened by the product's store.
 */
/**
 * A writer that sends the writes asked in one turn of the event loop together (`writeMany` resolves
 * with each item's changed-row count), at most 100 at a time.
 */
function batchedWriter(writeMany, close) {
  let queued = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    for (let i = 0; i < batch.length; i += 100) {
      const chunk = batch.slice(i, i + 100);
      writeMany(chunk.map((item) => item.values)).then(
        (counts) => chunk.forEach((item, k) => item.resolve(counts[k])),
        (error) => chunk.forEach((item) => item.reject(error)),
      );
    }
  };
  return {
    write: (values) =>
      new Promise((resolve, reject) => {
        if (queued.length === 0) setImmediate(flush);
        queued.push({ values, resolve, reject });
      }),
    close,
  };
}

async function floorRefreshes(env, endpoint, n, concurrency, processes, family) {
  const { SecretBox } = distLib('shared/secrets');
  const { buildDataSourceOptions } = distLib('shared/persistence');
  const product = await openProduct(env);
  let writer;
  let poolError;
  try {
    const provider = await product.dataSource.getRepository(product.ProviderEntity).findOneByOrFail({ type: PROVIDER.type, name: PROVIDER.name });
    const rows = connectorRows(product, { n, provider, family, expiresAtOf: () => new Date(Date.now() + 30 * 86_400_000) });
    await insertRows(product, rows);
    const box = new SecretBox(product.config.encryptionKey, product.config.oldEncryptionKeys);
    const update = product.sql.sql('UPDATE connectors SET access_token = ?, refresh_token = ?, token_version = token_version + 1 WHERE id = ?');
    if (product.config.database.type === 'postgres') {
      const { Pool } = require('pg');
      const pool = new Pool({ connectionString: product.config.database.url, max: buildDataSourceOptions(product.config.database).extra.max * processes });
      // An idle connection's error is the pool's event (unheard, it would end this process): the floor fails with it instead.
      pool.on('error', (error) => (poolError ??= error));
      // Its connections open before the clock starts, as the refreshers' pools were open.
      await Promise.all(Array.from({ length: pool.options.max }, () => pool.query('SELECT 1')));
      // The answers of one turn of the event loop in one statement, as the product batches its writes.
      writer = batchedWriter(async (items) => {
        const params = items.flat();
        const rows = items.map((_, k) => `($${3 * k + 1}::text, $${3 * k + 2}::text, $${3 * k + 3}::text)`).join(', ');
        const result = await pool.query(
          `UPDATE connectors AS c SET access_token = v.a, refresh_token = v.r, token_version = c.token_version + 1 FROM (VALUES ${rows}) AS v(a, r, id) WHERE c.id = v.id RETURNING c.id`,
          params,
        );
        const changed = new Set(result.rows.map((row) => row.id));
        return items.map(([, , id]) => (changed.has(id) ? 1 : 0));
      }, () => pool.end());
    } else {
      const Database = require('better-sqlite3');
      const sqlite = new Database(product.config.database.file, { timeout: 5000 });
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      const statement = sqlite.prepare(update);
      // The answers of one turn of the event loop in one transaction (one commit), as the product batches its writes.
      const writeAll = sqlite.transaction((items) => items.map((values) => statement.run(values).changes));
      writer = batchedWriter(async (items) => writeAll(items), async () => sqlite.close());
    }
    const before = await endpoint.stats();
    const cpuBefore = process.cpuUsage();
    const ms = await clientRefreshes(
      endpoint.url,
      n,
      concurrency,
      (i) => box.open(rows[i].refreshToken, tokenPlace('refresh_token', rows[i].id)),
      async (i, answer) => {
        const { id } = rows[i];
        const changed = await writer.write([box.seal(answer.access_token, tokenPlace('access_token', id)), box.seal(answer.refresh_token, tokenPlace('refresh_token', id)), id]);
        if (changed !== 1) throw new Error(`floor client: the UPDATE of connector ${id} changed ${changed} rows`);
      },
    );
    const cpu = process.cpuUsage(cpuBefore);
    if (poolError) throw new Error(`floor client: a PostgreSQL connection failed: ${poolError.message}`);
    const after = await endpoint.stats();
    // Opened by the product's own store: the floor sealed for the places the product opens.
    const stored = await product.dataSource.query(`SELECT id, access_token AS "accessToken", refresh_token AS "refreshToken", token_version AS "tokenVersion" FROM connectors WHERE label LIKE ${product.sql.param(1)}`, [`Bench_${family}%`]);
    const indexOf = new Map(rows.map((row, i) => [row.id, i]));
    let wrong = n - stored.length;
    for (const row of stored) {
      const i = indexOf.get(row.id);
      const tokens = product.store.open(row);
      if (tokens.refreshToken !== `rt.${family}${i}.1` || tokens.accessToken !== `at.${family}${i}.1` || Number(row.tokenVersion) !== 2) wrong += 1;
    }
    return { ms, cpuUs: cpu.user + cpu.system, accepted: after.accepted - before.accepted, refused: after.refused - before.refused, wrong };
  } finally {
    await writer?.close().catch(() => undefined);
    await product.close().catch(() => undefined);
  }
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One measured run: one database, one number of refresher processes. */
async function measure(options, db, processes, endpoint) {
  const id = runId(`refresh_${db}_${processes}p`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-bench-refresh-'));
  const redisUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const database = await createBenchDatabase(db, dir, id);
  const ports = { configLoader: await freePort(), flowOauth: await freePort() };
  const env = {
    FLOW_DATA_DIR: dir,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    FLOW_QUEUE_PREFIX: id.replace(/_/g, '-').slice(0, 40),
    FLOW_ADMIN_KEY: `bench-admin-${randomBytes(16).toString('hex')}`,
    FLOW_SERVICE_KEY: `bench-service-${randomBytes(16).toString('hex')}`,
    FLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    CONFIG_LOADER_PORT: String(ports.configLoader),
    FLOW_OAUTH_PORT: String(ports.flowOauth),
    FLOW_PUBLIC_URL: `http://127.0.0.1:${ports.flowOauth}`,
    REFRESH_MARGIN_SECONDS: String(MARGIN_SECONDS),
    REFRESH_CONCURRENCY: String(options.concurrency),
  };
  const apps = [];
  let product;
  try {
    apps.push(await startDistApp('config-loader', { env, cwd: dir }));
    const load = await fetch(`http://127.0.0.1:${ports.configLoader}/api/oauth-configurations`, {
      method: 'POST',
      headers: { appKey: env.FLOW_ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ [PROVIDER.type]: { [PROVIDER.name]: { CLIENT_ID, CLIENT_SECRET, AUTH_URL: `${endpoint.url}/authorize`, TOKEN_URL: `${endpoint.url}/token` } } }),
    });
    if (load.status !== 200) throw new Error(`loading the provider answered ${load.status}: ${await load.text()}`);

    const others = [];
    for (let i = 0; i < options.servers; i++) {
      const port = i === 0 ? ports.flowOauth : await freePort();
      others.push(startDistApp('flow-oauth-server', { env: { ...env, FLOW_OAUTH_PORT: String(port) }, cwd: dir }));
    }
    const refresherPorts = [];
    for (let i = 0; i < processes; i++) refresherPorts.push(await freePort());
    const refreshers = await Promise.all(refresherPorts.map((port) => startDistApp('token-refresher', { env: { ...env, TOKEN_REFRESHER_PORT: String(port) }, cwd: dir, execArgv: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [] })));
    apps.push(...(await Promise.all(others)), ...refreshers);

    product = await openProduct(env);
    const provider = await product.dataSource.getRepository(product.ProviderEntity).findOneByOrFail({ type: PROVIDER.type, name: PROVIDER.name });
    // Token families are unique to the run: the endpoint remembers every generation it issued.
    const family = `${db[0]}${processes}p`;
    const rows = connectorRows(product, { n: options.n, provider, family, expiresInSeconds: SEED_EXPIRES_IN_SECONDS });
    const before = await endpoint.stats();
    const cpuBefore = refreshers.map((r) => r.cpuSeconds());
    const dueAt = await storeAllDueAtOnce(product, rows);

    let done = 0;
    let lastProgress = Date.now();
    while (done < options.n) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const { refreshed, broken } = await refreshProgress(product);
      if (broken > 0) throw new Error(`${broken} connectors need re-authorization: the endpoint refused their refresh tokens (${refreshed} refreshed)`);
      if (refreshed > done) lastProgress = Date.now();
      done = refreshed;
      if (Date.now() - lastProgress > 60_000) throw new Error(`no refresh for 60 s: ${done} of ${options.n} refreshed`);
    }
    const writes = await writeTimes(product);
    const after = await endpoint.stats();
    const cpu = refreshers.map((r, i) => r.cpuSeconds() - cpuBefore[i]);
    const peakRss = refreshers.map((r) => r.peakRssBytes());
    const lags = Float64Array.from(writes.map((w) => w.at - dueAt)).sort();
    const lastWrite = lags[lags.length - 1];
    const wrong = await wrongGenerations(product, family, 1);
    const notActive = writes.filter((w) => w.status !== 'active' || w.version !== 2).length;

    await product.close();
    product = undefined;
    // The product's processes stop before the baseline, so they cannot slow it down.
    await Promise.all(apps.splice(0).map((app) => app.stop()));

    const concurrency = options.concurrency * processes;
    const bareCpuBefore = process.cpuUsage();
    const bareMs = await bareRefreshes(endpoint.url, options.n, concurrency, `${db[0]}${processes}b`);
    const bareCpu = process.cpuUsage(bareCpuBefore);
    // The floor in the same database, before the run's finally drops it.
    const floor = await floorRefreshes(env, endpoint, options.n, concurrency, processes, `${db[0]}${processes}f`);
    return {
      db,
      processes,
      n: options.n,
      concurrency,
      rate: (options.n / lastWrite) * 1000,
      bareRate: (options.n / bareMs) * 1000,
      floorRate: (options.n / floor.ms) * 1000,
      lagP50: percentile(lags, 50),
      lagP99: percentile(lags, 99),
      peakRss,
      cpu,
      // CPU per refresh (all refresher processes) and per bare call (this process), in µs: steadier
      // than the rates on a busy machine, where every process waits for a core.
      cpuPerRefreshUs: (cpu.reduce((sum, c) => sum + c, 0) * 1e6) / options.n,
      bareCpuPerCallUs: (bareCpu.user + bareCpu.system) / options.n,
      floorCpuPerRefreshUs: floor.cpuUs / options.n,
      floor,
      accepted: after.accepted - before.accepted,
      refused: after.refused - before.refused,
      clientRejected: after.clientRejected - before.clientRejected,
      sockets: after.connections - before.connections,
      wrong,
      notActive,
    };
  } catch (error) {
    const tails = apps.map((app) => `--- ${app.app} (last lines) ---\n${app.output().split('\n').slice(-12).join('\n')}`).join('\n');
    error.message += `\n${tails}`;
    throw error;
  } finally {
    await product?.close().catch(() => undefined);
    await Promise.all(apps.map((app) => app.stop().catch(() => undefined)));
    await database.drop().catch(() => undefined);
    await deleteRedisKeys(redisUrl, env.FLOW_QUEUE_PREFIX);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function table(results) {
  const mb = (bytes) => `${Math.round(bytes / 1024 / 1024)} MB`;
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const header = ['db', 'refreshers', 'connectors', 'in flight', 'refreshes/s', 'bare client/s', 'ratio', 'floor/s', 'floor ratio', 'lag p50', 'lag p99', 'peak RSS', 'CPU s', 'CPU/refresh', 'bare CPU/call', 'floor CPU/refresh', 'sockets', 'refused'];
  const lines = results.map((r) => [
    r.db,
    String(r.processes),
    r.n.toLocaleString('en-US'),
    String(r.concurrency),
    r.rate.toFixed(0),
    r.bareRate.toFixed(0),
    (r.rate / r.bareRate).toFixed(2),
    r.floorRate.toFixed(0),
    (r.floorRate / r.bareRate).toFixed(2),
    s(r.lagP50),
    s(r.lagP99),
    r.peakRss.map(mb).join(' + '),
    r.cpu.map((c) => c.toFixed(1)).join(' + '),
    `${Math.round(r.cpuPerRefreshUs)} µs`,
    `${Math.round(r.bareCpuPerCallUs)} µs`,
    `${Math.round(r.floorCpuPerRefreshUs)} µs`,
    String(r.sockets),
    String(r.refused),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

async function run(argv) {
  const { options, exitCode } = await benchOptions('refresh', argv, { parseArgs, usage: USAGE, needsPostgres: (o) => o.dbs.includes('postgres') });
  if (!options) return exitCode;
  const started = Date.now();
  console.log(
    `bench refresh: ${options.n.toLocaleString('en-US')} connectors due at once; token-refresher from dist (REFRESH_CONCURRENCY=${options.concurrency}), ` +
      `${options.servers} flow-oauth-server; rotating-token endpoint (node:http) in a child process; baseline: bare node:http keep-alive client at the same concurrency.`,
  );
  const endpoint = await startTokenEndpoint();
  const results = [];
  try {
    for (const db of options.dbs) {
      for (const processes of options.processes) {
        process.stdout.write(`  ${db}, ${processes} refresher process(es) ... `);
        const result = await measure(options, db, processes, endpoint);
        results.push(result);
        console.log(`${result.rate.toFixed(0)} refreshes/s`);
      }
    }
  } finally {
    endpoint.stop();
  }
  console.log(`\n${table(results)}\n`);
  let broken = false;
  for (const r of results) {
    const problems = [];
    if (r.refused) problems.push(`${r.refused} refresh tokens refused by the endpoint (a lost or doubled refresh)`);
    if (r.clientRejected) problems.push(`${r.clientRejected} requests with wrong client credentials`);
    if (r.accepted !== r.n) problems.push(`${r.accepted} refreshes at the endpoint for ${r.n} connectors`);
    if (r.wrong) problems.push(`${r.wrong} stored refresh tokens are not the latest`);
    if (r.notActive) problems.push(`${r.notActive} connectors not active at token version 2`);
    if (r.floor.refused || r.floor.accepted !== r.n) problems.push(`floor client: ${r.floor.accepted} refreshes accepted and ${r.floor.refused} refused at the endpoint for ${r.n} connectors`);
    if (r.floor.wrong) problems.push(`floor client: ${r.floor.wrong} connectors do not hold the new tokens at token version 2`);
    if (problems.length > 0) {
      broken = true;
      console.log(`${r.db}, ${r.processes} process(es): ${problems.join('; ')}`);
    }
  }
  console.log(`bench refresh took ${Math.round((Date.now() - started) / 1000)} s.`);
  // The floor: whether the target is reachable here at all (a broker that stores each token set cannot beat it).
  for (const r of results) {
    const floorRatio = r.floorRate / r.bareRate;
    console.log(
      `floor ${floorRatio.toFixed(2)} of the bare client (${r.db}, ${r.processes} refresher process(es)' concurrency ${r.concurrency}: open, call, seal, write (batched per event-loop turn), ${r.floorRate.toFixed(0)} vs ${r.bareRate.toFixed(0)} refreshes/s; ` +
        `the product is ${(r.rate / r.floorRate).toFixed(2)} of the floor; target ${TARGET_RATIO} of the bare client: ${floorRatio >= TARGET_RATIO ? 'within' : 'BEYOND'} the floor)`,
    );
  }
  for (const r of results) {
    const ratio = r.rate / r.bareRate;
    console.log(`ratio ${ratio.toFixed(2)} of the bare client (${r.db}, ${r.processes} refresher process(es), ${r.rate.toFixed(0)} vs ${r.bareRate.toFixed(0)} refreshes/s; target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'})`);
  }
  return broken ? 1 : 0;
}

module.exports = { run, bareRefreshes, startTokenEndpoint };

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
