// bench sweep: what one idle pass of the background refresh costs, at 10,000 and at 100,000
// connectors of which only a fixed few (--due, default 100) come due within the next minute and
// none is due now, beside the floor of that read measured in the same run. The schedule's idle cost
// must follow the due work, not the number of connectors (issue 7, item 2: "one sweep with nothing
// to heal at 10,000 and at 100,000 connectors must cost about the same, and a few milliseconds"):
// both sizes about the same, and a few milliseconds. There is no sweep and no job per refresh any
// more: each token-refresher's DueRefreshLoop reads the due connectors every 250 ms, so its pass
// with nothing due is what every idle process pays four times a second.
//
// How it runs (`npm run bench -- sweep`; needs `npm run build`, Redis, and PostgreSQL for --db postgres):
// - The product's own modules from dist/, wired by Nest as token-refresher wires them (the runtime
//   module and the token-refresh module, without token-refresher's BackgroundRefresh, so the loop is
//   never started: no timer, nothing refreshed; config-loader's provider-config module only to load
//   the bench's provider), on a fresh SQLite file or PostgreSQL database and a private prefix of
//   the shared Redis.
// - N connectors are stored through the product's store (ConnectorTokenStore: sealed tokens bound to
//   their row, next_refresh_at computed from the expiry): first the N - --due others, due between two
//   hours and thirty days from now, then the --due ones, due a minute after they are stored (stored
//   last, so a slow seed of 100,000 rows cannot make them due before the measurement; the bench
//   checks that none came due before it ended).
// - One pass is DueRefreshLoop.pass(), the loop's own method, called directly on the instance Nest
//   built: with its slots free it runs its one indexed SELECT of due connectors (next_refresh_at <=
//   now, status active/refresh_failed, not waiting for a retry, provider's credentials not rejected,
//   ORDER BY next_refresh_at LIMIT free slots), finds nothing, and returns (a loop never started
//   would start no refresh even for a row it read). Timed --repeat times; the median is the figure.
// - The floor is what such a pass cannot do without: the same indexed range read (next_refresh_at <=
//   now, status active/refresh_failed, ORDER BY next_refresh_at LIMIT the same k) by the bare driver
//   (better-sqlite3 / pg) on a connection already open, as a running process's would be. Each is
//   run once unmeasured first; that first pass is watched (its DataSource's query method wrapped for
//   it alone): it must run exactly one statement, reading no row.
'use strict';

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { deleteRedisKeys } = require('../../tools/redis-keys');
const { benchOptions } = require('../shared/bench-start');
const { createBenchDatabase } = require('../shared/bench-database');
const { connectorRows, distLib, insertRows, runId } = require('../refresh/refresh-fixture');

const MARGIN_SECONDS = 300;
// The --due connectors' next_refresh_at (expiry - margin) is this far after they are stored.
const DUE_SOON_SECONDS = 60;
// A pass costs well under a millisecond: enough of them for a steady median.
const DEFAULTS = { sizes: [10_000, 100_000], due: 100, repeat: 21, dbs: ['sqlite'] };
const USAGE = `Usage: npm run bench -- sweep [--db sqlite|postgres|both] [--due <n>] [--repeat <n>] [--quick]
  --db <kind>     database (default sqlite)
  --due <n>       connectors due within the next minute (none now), at every size (default ${DEFAULTS.due})
  --repeat <n>    passes timed per size; the median is reported (default ${DEFAULTS.repeat})
  --quick         1,000 and 10,000 connectors, 11 passes each`;

function parseArgs(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const whole = (name, min, max) => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} needs a whole number from ${min} to ${max}`);
      return value;
    };
    if (arg === '--due') options.due = whole('due', 0, 10_000);
    else if (arg === '--repeat') options.repeat = whole('repeat', 1, 50);
    else if (arg === '--db') {
      const value = argv[++i];
      if (!['sqlite', 'postgres', 'both'].includes(value)) throw new Error('--db is sqlite, postgres or both');
      options.dbs = value === 'both' ? ['sqlite', 'postgres'] : [value];
    } else if (arg === '--quick') Object.assign(options, { sizes: [1000, 10_000], repeat: 11 });
    else if (arg === '--help' || arg === '-h') return undefined;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/**
 * The product's refresh modules wired by Nest, without token-refresher's BackgroundRefresh (the one
 * that starts the due-refresh loop): the loop is built but never started. ProviderConfigModule
 * (config-loader's) only to load the bench's provider.
 */
async function productContext(env) {
  const { NestFactory } = require('@nestjs/core');
  const { Module } = require('@nestjs/common');
  const { loadConfig } = distLib('shared/config');
  const { FlowRuntimeModule } = distLib('shared/app-runtime');
  const { TokenRefreshModule } = distLib('token-refresh');
  const { ProviderConfigModule } = distLib('provider-config');
  const config = loadConfig({ env, cwd: env.FLOW_DATA_DIR });
  class SweepBenchModule {}
  Module({ imports: [FlowRuntimeModule.forRoot(config, { app: 'token-refresher', runMigrations: true, workQueues: true }), TokenRefreshModule, ProviderConfigModule] })(SweepBenchModule);
  const context = await NestFactory.createApplicationContext(SweepBenchModule, { logger: ['error'] });
  return { config, context };
}

/**
 * One idle pass of the due-refresh loop, timed: DueRefreshLoop.pass() reads the due connectors with
 * its one SELECT when it has free slots (all of them: nothing in flight). Not started, so it starts
 * no refresh whatever it reads. Adapt here when the loop changes.
 */
async function timeOnePass(loop) {
  if (loop.inFlightCount !== 0) throw new Error(`the loop has ${loop.inFlightCount} refreshes in flight: it was started`);
  const started = process.hrtime.bigint();
  await loop.pass();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (loop.inFlightCount !== 0) throw new Error(`the pass started ${loop.inFlightCount} refreshes: the loop was started`);
  return ms;
}

/**
 * One pass, untimed, with the loop's DataSource watched for its duration only (its own query method
 * put back after): the statements the pass ran and the rows each read.
 */
async function watchedPass(loop, dataSource) {
  const statements = [];
  const own = Object.prototype.hasOwnProperty.call(dataSource, 'query') ? dataSource.query : undefined;
  const query = dataSource.query;
  dataSource.query = async function (...args) {
    const rows = await query.apply(this, args);
    statements.push({ sql: String(args[0]).slice(0, 40), rows: Array.isArray(rows) ? rows.length : undefined });
    return rows;
  };
  try {
    await loop.pass();
  } finally {
    if (own) dataSource.query = own;
    else delete dataSource.query;
  }
  if (loop.inFlightCount !== 0) throw new Error(`the pass started ${loop.inFlightCount} refreshes: the loop was started`);
  return statements;
}

/**
 * The floor: the indexed range read of the connectors due now, ordered by due time and limited as
 * the loop's (bare driver; its connection opened once, as a running process's is). Returns a
 * function that runs it once and resolves with { ms, due }, and close().
 */
async function openFloor(db, databaseUrl, limit) {
  const sql = distLib('shared/persistence')
    .sqlDialectOf(db === 'sqlite' ? 'sqlite' : 'postgres')
    .sql("SELECT id, token_version FROM connectors WHERE next_refresh_at <= ? AND status IN ('active', 'refresh_failed') ORDER BY next_refresh_at LIMIT ?");
  if (db === 'sqlite') {
    const Database = require('better-sqlite3');
    const sqlite = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    const statement = sqlite.prepare(sql);
    return {
      async once() {
        const started = process.hrtime.bigint();
        const rows = statement.all(new Date().toISOString(), limit);
        return { ms: Number(process.hrtime.bigint() - started) / 1e6, due: rows.length };
      },
      async close() {
        sqlite.close();
      },
    };
  }
  const { Client } = require('pg');
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  return {
    async once() {
      const started = process.hrtime.bigint();
      const { rows } = await pg.query(sql, [new Date().toISOString(), limit]);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, due: rows.length };
    },
    async close() {
      await pg.end();
    },
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(db, size, options) {
  const id = runId(`sweep_${db}_${size}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-bench-sweep-'));
  const redisUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const database = await createBenchDatabase(db, dir, id);
  const env = {
    FLOW_DATA_DIR: dir,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    FLOW_QUEUE_PREFIX: id.replace(/_/g, '-').slice(0, 40),
    FLOW_ADMIN_KEY: `bench-admin-${randomBytes(16).toString('hex')}`,
    FLOW_SERVICE_KEY: `bench-service-${randomBytes(16).toString('hex')}`,
    FLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    REFRESH_MARGIN_SECONDS: String(MARGIN_SECONDS),
  };
  let context;
  let floor;
  try {
    let config;
    ({ context, config } = await productContext(env));
    const { ProviderConfigurationService } = distLib('provider-config');
    const { ConnectorTokenStore, DueRefreshLoop } = distLib('token-refresh');
    const { ConnectorEntity, ProviderEntity, sqlDialect } = distLib('shared/persistence');
    const { DataSource } = require('typeorm');
    await context.get(ProviderConfigurationService).load(
      { odata: { 'Bench-Sweep': { CLIENT_ID: 'bench', CLIENT_SECRET: 'bench-secret', AUTH_URL: 'https://auth.example.test/authorize', TOKEN_URL: 'https://auth.example.test/token' } } },
      { dryRun: false },
    );
    const dataSource = context.get(DataSource);
    const loop = context.get(DueRefreshLoop);
    const provider = await dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'odata', name: 'Bench-Sweep' });
    const product = { dataSource, store: context.get(ConnectorTokenStore), ConnectorEntity };
    const seedStarted = Date.now();
    // The others first: next_refresh_at between two hours and thirty days ahead.
    const later = (i) => new Date(Date.now() + (MARGIN_SECONDS + 2 * 3600 + ((i * 7919) % (30 * 86_400))) * 1000);
    await insertRows(product, connectorRows(product, { n: size - options.due, provider, family: 's', expiresAtOf: later }));
    // Then the --due ones, stored last: next_refresh_at (expiry - margin) a minute from now.
    const dueSoonAt = Date.now() + DUE_SOON_SECONDS * 1000;
    await insertRows(product, connectorRows(product, { n: options.due, provider, family: 'd', expiresAtOf: () => new Date(dueSoonAt + MARGIN_SECONDS * 1000) }));
    // A database in service has planner statistics; right after a bulk insert PostgreSQL has none.
    await dataSource.query('ANALYZE connectors');
    const seedMs = Date.now() - seedStarted;
    const [{ count }] = await dataSource.query(`SELECT COUNT(*) AS count FROM connectors WHERE next_refresh_at <= ${sqlDialect(dataSource).param(1)}`, [new Date(dueSoonAt + 60_000).toISOString()]);

    // One unmeasured run of each first (caches, JIT), as a running process would have had. The
    // loop's first pass is also watched: it must run its SELECT on the database, once, and read nothing.
    const statements = await watchedPass(loop, dataSource);
    if (statements.length !== 1 || statements[0].rows !== 0) throw new Error(`an idle pass should run one SELECT that reads no row; it ran ${JSON.stringify(statements)}`);
    const passes = [];
    for (let i = 0; i < options.repeat; i++) passes.push(await timeOnePass(loop));
    floor = await openFloor(db, database.url, config.refreshConcurrency);
    const floors = [];
    for (let i = 0; i <= options.repeat; i++) floors.push(await floor.once());
    if (Date.now() >= dueSoonAt) throw new Error(`the ${options.due} connectors due soon came due before the measurement ended (seeding took ${Math.round(seedMs / 1000)} s): the passes may have read them`);
    floors.shift();
    return {
      db,
      size,
      dueSoon: Number(count),
      dueNow: Math.max(...floors.map((f) => f.due)),
      limit: config.refreshConcurrency,
      seedMs,
      passMs: median(passes),
      floorMs: median(floors.map((f) => f.ms)),
    };
  } finally {
    await floor?.close().catch(() => undefined);
    await context?.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    await deleteRedisKeys(redisUrl, env.FLOW_QUEUE_PREFIX);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function table(results) {
  const ms = (x) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(x < 1 ? 3 : 2)} ms`);
  const header = ['db', 'connectors', 'due in 1 min', 'due now', 'one idle pass', 'floor', 'ratio'];
  const lines = results.map((r) => [r.db, r.size.toLocaleString('en-US'), String(r.dueSoon), String(r.dueNow), ms(r.passMs), ms(r.floorMs), `${(r.passMs / r.floorMs).toFixed(1)}x`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

async function run(argv) {
  const { options, exitCode } = await benchOptions('sweep', argv, { parseArgs, usage: USAGE, needsPostgres: (o) => o.dbs.includes('postgres') });
  if (!options) return exitCode;
  const started = Date.now();
  console.log(
    `bench sweep: one idle pass of the due-refresh loop (DueRefreshLoop.pass(), not started: nothing due now, ${options.due} connectors due within a minute at every size); ` +
      `the product's modules from dist in this process; median of ${options.repeat}; floor: the same indexed range read by the bare driver.`,
  );
  const results = [];
  for (const db of options.dbs) {
    for (const size of options.sizes) {
      process.stdout.write(`  ${db}, ${size.toLocaleString('en-US')} connectors ... `);
      const result = await measure(db, size, options);
      results.push(result);
      console.log(`seeded in ${(result.seedMs / 1000).toFixed(0)} s; one idle pass ${result.passMs.toFixed(3)} ms`);
    }
  }
  console.log(`\n${table(results)}\n`);
  let broken = false;
  for (const r of results) {
    if (r.dueNow > 0 || r.dueSoon !== options.due) {
      broken = true;
      console.log(`${r.db}, ${r.size}: ${r.dueNow} connectors due now and ${r.dueSoon} due within the minute (${options.due} asked): the pass was not idle, the figure is not the one asked for`);
    }
  }
  console.log(`bench sweep took ${Math.round((Date.now() - started) / 1000)} s.`);
  // The ratio last: how one idle pass's cost grows with the table (about 1x is the target).
  for (const db of options.dbs) {
    const [small, big] = options.sizes.map((size) => results.find((r) => r.db === db && r.size === size));
    console.log(
      `ratio ${(big.passMs / small.passMs).toFixed(1)}x: one idle pass at ${big.size.toLocaleString('en-US')} vs ${small.size.toLocaleString('en-US')} connectors (${db}, ${big.passMs.toFixed(3)} vs ${small.passMs.toFixed(3)} ms; target: about 1x, a few ms; floor ${(big.floorMs / small.floorMs).toFixed(1)}x)`,
    );
  }
  return broken ? 1 : 0;
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
