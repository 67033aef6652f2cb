// bench load: how long config-loader takes to load 1,000 / 2,600 / 10,000 providers and to re-load
// an unchanged file, beside the physical floor of the same job measured in the same run:
// the same body POSTed to a no-op node:http route plus the same rows written (or read) by a bare
// better-sqlite3 transaction. Each product figure is the best of --repeat runs, each on a fresh
// database and a fresh process that first planned the same file once (--dry-run) to warm up.
'use strict';

const { randomBytes } = require('node:crypto');
const { deleteRedisKeys } = require('../../tools/redis-keys');
const { redisProblem } = require('../../tools/dependency-checks');
const { startConfigLoader } = require('./config-loader-process');
const { readProviderRows, sqliteFloor, startNoOpServer } = require('./floor-baselines');
const { createClient } = require('./keep-alive-client');
const { providerFile } = require('./provider-files');

const GROWTH_TARGET = 12;
const USAGE = 'Usage: npm run bench -- load [--repeat <n>] [--quick]\n  --repeat <n>  best of n runs per size (default 5)\n  --quick       one run per size';

async function run(argv) {
  const repeat = parseRepeat(argv);
  if (repeat === undefined) {
    console.log(USAGE);
    return argv.includes('--help') || argv.includes('-h') ? 0 : 2;
  }
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const redisDown = await redisProblem(redisUrl);
  if (redisDown) {
    console.error(`bench load needs Redis (config-loader announces loads on BullMQ): ${redisDown}. Set REDIS_URL.`);
    return 1;
  }
  const queuePrefix = `bench-load-${randomBytes(4).toString('hex')}`;
  const started = Date.now();
  console.log(`bench load: config-loader from dist on a temp SQLite file; node:http keep-alive client; best of ${repeat}.`);

  const noOp = await startNoOpServer();
  const results = [];
  try {
    let template;
    const withServer = async (fn) => {
      const server = await startConfigLoader({ redisUrl, queuePrefix });
      const client = createClient(server.url, { appKey: server.adminKey });
      try {
        template ??= JSON.parse(expectStatus(await client.request('GET', '/api/oauth-configurations/template'), 200, 'template').text);
        return await fn(server, client);
      } catch (error) {
        error.message += `\n--- config-loader output (last lines) ---\n${server.output().split('\n').slice(-15).join('\n')}`;
        throw error;
      } finally {
        client.close();
        await server.stop();
      }
    };

    // 26 x 100 providers: the load, then the same file again (nothing to write).
    let big = { load: Infinity, reload: Infinity };
    let bigRows;
    let bigBody;
    for (let i = 0; i < repeat; i++) {
      await withServer(async (server, client) => {
        bigBody ??= providerFile(template, 2600);
        await loadFile(client, bigBody, 2600, { dryRun: true });
        const load = await loadFile(client, bigBody, 2600, { expect: 'added' });
        const reload = await loadFile(client, bigBody, 2600, { expect: 'unchanged' });
        big = { load: Math.min(big.load, load), reload: Math.min(big.reload, reload) };
        bigRows ??= readProviderRows(server.database);
      });
    }
    const bigFloor = await floorOf(noOp, bigBody, bigRows, repeat);
    results.push({ label: 'load 26 x 100', count: 2600, bytes: bigBody.length, ms: big.load, floor: bigFloor.http + bigFloor.write, parts: `HTTP ${fmt(bigFloor.http)} + SQLite insert ${fmt(bigFloor.write)}` });
    results.push({ label: 're-load the same file (no-op)', count: 2600, bytes: bigBody.length, ms: big.reload, floor: bigFloor.http + bigFloor.read, parts: `HTTP ${fmt(bigFloor.http)} + SQLite read ${fmt(bigFloor.read)}` });

    // 1,000 and 10,000 providers, each into an empty database: the growth factor.
    const growth = {};
    for (const count of [1000, 10000]) {
      const body = providerFile(template, count);
      let best = Infinity;
      let rows;
      for (let i = 0; i < repeat; i++) {
        await withServer(async (server, client) => {
          await loadFile(client, body, count, { dryRun: true });
          best = Math.min(best, await loadFile(client, body, count, { expect: 'added' }));
          rows ??= readProviderRows(server.database);
        });
      }
      const floor = await floorOf(noOp, body, rows, repeat);
      growth[count] = best;
      results.push({ label: `load ${count.toLocaleString('en-US')}`, count, bytes: body.length, ms: best, floor: floor.http + floor.write, parts: `HTTP ${fmt(floor.http)} + SQLite insert ${fmt(floor.write)}` });
    }

    printResults(results);
    const factor = growth[10000] / growth[1000];
    console.log(
      `\ngrowth 1,000 -> 10,000 providers: ${factor.toFixed(1)}x for 10x the providers ` +
        `(target <= ${GROWTH_TARGET}x: ${factor <= GROWTH_TARGET ? 'met' : 'MISSED'})`,
    );
    console.log(`bench load took ${Math.round((Date.now() - started) / 1000)} s.`);
    return 0;
  } finally {
    await noOp.close();
    await deleteRedisKeys(redisUrl, queuePrefix);
  }
}

function parseRepeat(argv) {
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  if (argv.includes('--quick')) return 1;
  const i = argv.indexOf('--repeat');
  if (i === -1) return 5;
  const n = Number(argv[i + 1]);
  return Number.isInteger(n) && n >= 1 && n <= 20 ? n : undefined;
}

/** POSTs the file and returns its milliseconds; checks the plan so a failed load is never timed as a fast one. */
async function loadFile(client, body, count, { dryRun = false, expect } = {}) {
  const answer = await client.request('POST', `/api/oauth-configurations${dryRun ? '?dryRun=true' : ''}`, body);
  expectStatus(answer, 200, dryRun ? 'dry run' : 'load');
  if (expect) {
    const { plan } = JSON.parse(answer.text);
    if (plan[expect].length !== count) {
      throw new Error(`expected ${count} providers ${expect}, the plan says ${['added', 'updated', 'unchanged', 'conflicts'].map((k) => `${plan[k].length} ${k}`).join(', ')}`);
    }
  }
  return answer.ms;
}

function expectStatus(answer, status, what) {
  if (answer.status !== status) {
    throw new Error(`${what} answered HTTP ${answer.status} (expected ${status}): ${answer.text.slice(0, 1500)}`);
  }
  return answer;
}

/** Best-of-n of each floor component for this body and these rows. */
async function floorOf(noOp, body, rows, repeat) {
  let http = Infinity;
  let write = Infinity;
  let read = Infinity;
  await noOp.post(body); // warm the socket and the no-op route
  for (let i = 0; i < repeat; i++) {
    http = Math.min(http, await noOp.post(body));
    const sqlite = sqliteFloor(rows);
    write = Math.min(write, sqlite.writeMs);
    read = Math.min(read, sqlite.readMs);
  }
  return { http, write, read };
}

function fmt(ms) {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function size(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`;
}

function printResults(results) {
  const rows = [
    ['', 'providers', 'body', 'config-loader', 'floor', 'ratio', 'floor is'],
    ...results.map((r) => [r.label, r.count.toLocaleString('en-US'), size(r.bytes), fmt(r.ms), fmt(r.floor), `${(r.ms / r.floor).toFixed(1)}x`, r.parts]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  console.log('');
  for (const row of rows) {
    console.log(row.map((cell, c) => (c === 0 || c === row.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
  }
}

module.exports = { run };
