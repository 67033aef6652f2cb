// bench sweep: what one run of the refresh safety sweep costs when there is nothing to heal, at
// 10,000 and at 100,000 connectors of which only a fixed few (--due, default 100) come due before
// the next sweep, beside the floor of that job measured in the same run. The schedule's cost must
// follow the due work, not the number of connectors (issue 7, item 2): both sizes about the same,
// and a few milliseconds.
//
// How it runs (`npm run bench -- sweep`; needs `npm run build`, Redis, and PostgreSQL for --db postgres):
// - The product's own modules from dist/, wired by Nest as token-refresher wires them (the runtime
//   module and the token-refresh module, without the worker and without starting the sweep's
//   timer, so nothing runs unasked), on a fresh SQLite file or PostgreSQL database and a private
//   prefix of the shared Redis.
// - N connectors are stored through the product's store (ConnectorTokenStore: sealed tokens bound to
//   their row, next_refresh_at computed from the expiry): --due of them come due within a minute, the
//   others between two hours and thirty days from now. Every one gets its delayed refresh job from
//   the product's RefreshProducer, so a sweep finds nothing to heal.
// - One sweep is what a token-refresher's timer does in a slot: take the slot's turn in Redis
//   (SweepTurn), then RefreshSweep.run() (the indexed read of what is due before the horizon, one
//   Redis pipeline and at most one addBulk per batch). Timed --repeat times (it must re-create no
//   job); the median is the figure.
// - The floor is what such a sweep cannot do without: one indexed range read of the connectors due
//   before the sweep's horizon by the bare driver (better-sqlite3 / pg), and one Redis pipeline
//   asking whether each of their jobs exists. Both are run once unmeasured first.
'use strict';

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Redis } = require('ioredis');
const { deleteRedisKeys } = require('../../tools/redis-keys');
const { benchOptions } = require('../shared/bench-start');
const { createBenchDatabase } = require('../shared/bench-database');
const { connectorRows, distLib, insertRows, queueJobs, runId } = require('../refresh/refresh-fixture');

const MARGIN_SECONDS = 300;
// REFRESH_SWEEP_SECONDS of the product's default configuration.
const SWEEP_EVERY_SECONDS = 60;
const DEFAULTS = { sizes: [10_000, 100_000], due: 100, repeat: 5, dbs: ['sqlite'] };
const USAGE = `Usage: npm run bench -- sweep [--db sqlite|postgres|both] [--due <n>] [--repeat <n>] [--quick]
  --db <kind>     database (default sqlite)
  --due <n>       connectors due before the next sweep, at every size (default ${DEFAULTS.due})
  --repeat <n>    sweeps timed per size; the median is reported (default ${DEFAULTS.repeat})
  --quick         1,000 and 10,000 connectors, 3 sweeps each`;

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
    } else if (arg === '--quick') Object.assign(options, { sizes: [1000, 10_000], repeat: 3 });
    else if (arg === '--help' || arg === '-h') return undefined;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** The product's refresh modules wired by Nest, without the worker (the module token-refresher adds it in). */
async function productContext(env) {
  const { NestFactory } = require('@nestjs/core');
  const { Module } = require('@nestjs/common');
  const { loadConfig } = distLib('shared/config');
  const { FlowRuntimeModule } = distLib('shared/app-runtime');
  const { TokenRefreshModule } = distLib('token-refresh');
  const config = loadConfig({ env, cwd: env.FLOW_DATA_DIR });
  class SweepBenchModule {}
  Module({ imports: [FlowRuntimeModule.forRoot(config, { app: 'token-refresher', runMigrations: true, workQueues: true }), TokenRefreshModule] })(SweepBenchModule);
  const context = await NestFactory.createApplicationContext(SweepBenchModule, { logger: ['error'] });
  return { config, context };
}

/**
 * One sweep with nothing to heal, timed: what a token-refresher's timer does when it reaches a new
 * slot (SweepTimer): take the slot's turn, then run the sweep. Adapt here when the sweep changes.
 * `slot` must be new at each call (one turn per slot).
 */
async function timeOneSweep(context, slot) {
  const { RefreshSweep, SweepTurn } = distLib('token-refresh');
  const turn = context.get(SweepTurn, { strict: false });
  const sweep = context.get(RefreshSweep);
  const started = process.hrtime.bigint();
  if (!(await turn.take(slot, 2 * SWEEP_EVERY_SECONDS * 1000))) throw new Error(`the sweep turn of slot ${slot} was taken already`);
  const result = await sweep.run();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, read: result.read, recreated: result.recreated };
}

/**
 * The floor: one indexed range read of the connectors due before the next sweep (bare driver, its
 * connection already open as a running process's would be), one Redis pipeline over their jobs.
 */
async function floorOnce(db, databaseUrl, redis, queuePrefix, jobId) {
  // The product's horizon (sweepHorizon): two sweep intervals ahead; next_refresh_at has the margin in it.
  const horizon = new Date(Date.now() + 2 * SWEEP_EVERY_SECONDS * 1000).toISOString();
  const sql = distLib('shared/persistence').sqlDialectOf(db === 'sqlite' ? 'sqlite' : 'postgres').sql("SELECT id, token_version FROM connectors WHERE next_refresh_at < ? AND status IN ('active', 'refresh_failed')");
  const checkJobs = async (rows) => {
    const pipeline = redis.pipeline();
    for (const row of rows) pipeline.exists(`${queuePrefix}:token-refresh:${jobId(row.id, Number(row.token_version))}`);
    const answers = await pipeline.exec();
    return answers.filter(([, exists]) => exists !== 1).length;
  };
  if (db === 'sqlite') {
    const Database = require('better-sqlite3');
    const sqlite = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    try {
      const statement = sqlite.prepare(sql);
      const started = process.hrtime.bigint();
      const rows = statement.all(horizon);
      const missing = await checkJobs(rows);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, due: rows.length, missing };
    } finally {
      sqlite.close();
    }
  }
  const { Client } = require('pg');
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const started = process.hrtime.bigint();
    const { rows } = await pg.query(sql, [horizon]);
    const missing = await checkJobs(rows);
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, due: rows.length, missing };
  } finally {
    await pg.end();
  }
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
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let context;
  try {
    ({ context } = await productContext(env));
    const { ProviderConfigurationService } = distLib('provider-config');
    const { ConnectorTokenStore, RefreshProducer, SWEEP_BATCH } = distLib('token-refresh');
    const { ConnectorEntity, ProviderEntity } = distLib('shared/persistence');
    const { DataSource } = require('typeorm');
    await context.get(ProviderConfigurationService).load(
      { odata: { 'Bench-Sweep': { CLIENT_ID: 'bench', CLIENT_SECRET: 'bench-secret', AUTH_URL: 'https://auth.example.test/authorize', TOKEN_URL: 'https://auth.example.test/token' } } },
      { dryRun: false },
    );
    const dataSource = context.get(DataSource);
    const provider = await dataSource.getRepository(ProviderEntity).findOneByOrFail({ type: 'odata', name: 'Bench-Sweep' });
    const product = { dataSource, store: context.get(ConnectorTokenStore), ConnectorEntity, producer: context.get(RefreshProducer), sweepBatch: SWEEP_BATCH };
    // Due soon: next_refresh_at (expiry - margin) 30 s ahead, inside the sweep's horizon; the others far beyond it.
    const soon = Date.now() + (MARGIN_SECONDS + 30) * 1000;
    const later = (i) => Date.now() + 2 * 3600_000 + ((i * 7919) % (30 * 86_400)) * 1000;
    const seedStarted = Date.now();
    const rows = connectorRows(product, { n: size, provider, family: 's', expiresAtOf: (i) => new Date(i < options.due ? soon : later(i)) });
    await insertRows(product, rows);
    await queueJobs(product, rows);
    // A database in service has planner statistics; right after a bulk insert PostgreSQL has none.
    await dataSource.query('ANALYZE connectors');
    const seedMs = Date.now() - seedStarted;

    // One unmeasured run of each first (caches, JIT), as a running process would have had.
    const sweeps = [];
    // Slots of this run only (a Redis prefix of its own): each sweep takes a turn of its own.
    for (let i = 0; i <= options.repeat; i++) sweeps.push(await timeOneSweep(context, 1_000_000 + i));
    const floors = [];
    for (let i = 0; i <= options.repeat; i++) floors.push(await floorOnce(db, database.url, redis, env.FLOW_QUEUE_PREFIX, RefreshProducer.jobId));
    sweeps.shift();
    floors.shift();
    return {
      db,
      size,
      due: floors[0].due,
      seedMs,
      sweepMs: median(sweeps.map((s) => s.ms)),
      recreated: Math.max(...sweeps.map((s) => s.recreated)),
      floorMs: median(floors.map((f) => f.ms)),
      floorMissing: Math.max(...floors.map((f) => f.missing)),
    };
  } finally {
    await context?.close().catch(() => undefined);
    redis.disconnect();
    await database.drop().catch(() => undefined);
    await deleteRedisKeys(redisUrl, env.FLOW_QUEUE_PREFIX);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function table(results) {
  const ms = (x) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(2)} ms`);
  const header = ['db', 'connectors', 'due soon', 'one sweep', 'floor', 'ratio', 'jobs re-created'];
  const lines = results.map((r) => [r.db, r.size.toLocaleString('en-US'), String(r.due), ms(r.sweepMs), ms(r.floorMs), `${(r.sweepMs / r.floorMs).toFixed(1)}x`, String(r.recreated)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

async function run(argv) {
  const { options, exitCode } = await benchOptions('sweep', argv, { parseArgs, usage: USAGE, needsPostgres: (o) => o.dbs.includes('postgres') });
  if (!options) return exitCode;
  const started = Date.now();
  console.log(
    `bench sweep: one sweep with nothing to heal (every connector has its job), ${options.due} connectors due before the next sweep at every size; ` +
      `the product's modules from dist in this process; median of ${options.repeat}; floor: indexed SELECT by the bare driver + one Redis pipeline.`,
  );
  const results = [];
  for (const db of options.dbs) {
    for (const size of options.sizes) {
      process.stdout.write(`  ${db}, ${size.toLocaleString('en-US')} connectors ... `);
      const result = await measure(db, size, options);
      results.push(result);
      console.log(`seeded in ${(result.seedMs / 1000).toFixed(0)} s; one sweep ${result.sweepMs.toFixed(1)} ms`);
    }
  }
  console.log(`\n${table(results)}\n`);
  let broken = false;
  for (const r of results) {
    if (r.recreated > 0 || r.floorMissing > 0) {
      broken = true;
      console.log(`${r.db}, ${r.size}: the sweep re-created ${r.recreated} jobs and the floor found ${r.floorMissing} missing: there was something to heal, the figure is not the one asked for`);
    }
  }
  console.log(`bench sweep took ${Math.round((Date.now() - started) / 1000)} s.`);
  // The ratio last: how one sweep's cost grows with the table (about 1x is the target).
  for (const db of options.dbs) {
    const [small, big] = options.sizes.map((size) => results.find((r) => r.db === db && r.size === size));
    console.log(
      `ratio ${(big.sweepMs / small.sweepMs).toFixed(1)}x: one sweep at ${big.size.toLocaleString('en-US')} vs ${small.size.toLocaleString('en-US')} connectors (${db}, ${big.sweepMs.toFixed(1)} vs ${small.sweepMs.toFixed(1)} ms; target: about 1x, a few ms; floor ${(big.floorMs / small.floorMs).toFixed(1)}x)`,
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
