#!/usr/bin/env node
// `npm test`: checks that Redis and PostgreSQL answer, then runs every project's Nx targets in three
// steps: lint + typecheck + build, unit tests (`test`), end-to-end suites (`e2e`). Stops at the first
// failing step and says how to reproduce it. Ends on one line of totals over every jest run
// (`N passed, N failed, N skipped`; a unit target Nx restored from its cache counts with the results
// it recorded). Extra arguments replace the two test steps with one jest run over the whole tree:
//   npm test -- --selectProjects unit      npm test -- tools/smoke
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { POSTGRES_START_COMMAND, REDIS_START_COMMAND, postgresProblem, redisProblem } = require('./dependency-checks');
const { RESULTS_DIR } = require('./nx/flow-targets');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
// The same defaults the test suites use (libs/shared/testing).
const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
// A daemon left from another checkout or Nx version is the classic source of stale graphs; a
// one-shot run gains little from it. Nothing here may try to reach Nx Cloud (no network in CI).
const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
// Two tasks at a time: the e2e suites start servers and child processes, and CI has two cores.
const NX_FLAGS = ['--outputStyle=static', '--parallel=2'];

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

async function main() {
  const jestArgs = process.argv.slice(2);
  const started = Date.now();

  step('checking Redis and PostgreSQL for the e2e suites');
  const problems = [];
  const redis = await redisProblem(TEST_REDIS_URL);
  if (redis) problems.push(`Redis at ${redis}. Start it with:\n    ${REDIS_START_COMMAND}`);
  const pg = await postgresProblem(TEST_POSTGRES_URL);
  if (pg) {
    problems.push(
      `PostgreSQL at ${pg}. Start it with:\n    ${POSTGRES_START_COMMAND}\n` +
        '  and create the database once: createdb -h 127.0.0.1 -U postgres test',
    );
  }
  if (problems.length > 0) {
    fail('services', `the test suite needs these services:\n  ${problems.join('\n  ')}\n(.ci/run starts them itself; TEST_REDIS_URL / TEST_POSTGRES_URL point elsewhere.)`);
  }

  const resultsDir = path.join(ROOT, RESULTS_DIR);
  fs.rmSync(resultsDir, { recursive: true, force: true });
  nx('lint, typecheck, build', ['run-many', '-t', 'lint', 'typecheck', 'build'], { started });
  if (jestArgs.length > 0) {
    fs.mkdirSync(resultsDir, { recursive: true });
    // --forceExit: a connection left retrying by a suite must not hold CI (the targets pass it too).
    const args = ['--ci', '--forceExit', '--json', `--outputFile=${path.join(resultsDir, 'jest.json')}`, ...jestArgs];
    run('jest', `jest ${jestArgs.join(' ')}`, path.join(BIN, 'jest'), args, { started, counts: true });
  } else {
    nx('unit tests', ['run-many', '-t', 'test'], { started, counts: true });
    nx('e2e suites', ['run-many', '-t', 'e2e'], { started, counts: true });
  }
  const tests = jestArgs.length > 0 ? `jest ${jestArgs.join(' ')}` : 'unit tests and e2e suites';
  console.log(`\nnpm test: lint, typecheck, build, ${tests} passed in ${seconds(started)} s.`);
  console.log(readCounts(resultsDir) ?? 'no jest results were written');
}

/** Totals of every jest JSON result in the folder, as one plain line. */
function readCounts(dir) {
  let files;
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const file of files) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      total.passed += r.numPassedTests;
      total.failed += r.numFailedTests;
      total.skipped += r.numPendingTests + r.numTodoTests;
    } catch {
      // jest failed before writing its results; its own output says why.
    }
  }
  return `${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`;
}

function nx(name, args, options) {
  run(name, `nx ${args.join(' ')}`, path.join(BIN, 'nx'), [...args, ...NX_FLAGS], options);
}

/** Runs one step; on failure, prints the totals so far (test steps) and stops with how to reproduce it. */
function run(name, display, command, args, { started, counts = false }) {
  step(`${name}: ${display}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...NX_ENV } });
  if (result.error) fail(name, `could not run ${display} (${result.error.message}); run \`npm install\` first.`);
  if (result.status !== 0) {
    const totals = counts ? readCounts(path.join(ROOT, RESULTS_DIR)) : undefined;
    if (totals) console.log(`\n${totals}`);
    fail(name, `see the output above (whole run ${seconds(started)} s); reproduce with \`npx ${display}\`.`);
  }
}

function seconds(since) {
  return Math.round((Date.now() - since) / 1000);
}

function step(text) {
  console.log(`\n> ${text}`);
}

function fail(name, message) {
  console.error(`\nnpm test failed at step "${name}": ${message}`);
  process.exit(1);
}
