#!/usr/bin/env node
// `npm test`: lint, type-check, build, then the whole jest run (unit and e2e, every project).
// Stops at the first failing step and says which one. Extra arguments go to jest:
//   npm test -- --selectProjects unit      npm test -- tools/smoke
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { POSTGRES_START_COMMAND, REDIS_START_COMMAND, postgresProblem, redisProblem } = require('./dependency-checks');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
// The same defaults the test suites use (libs/shared/testing).
const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

async function main() {
  const jestArgs = process.argv.slice(2);
  const started = Date.now();

  // @nx/enforce-module-boundaries reads Nx's cached project graph and silently skips itself when
  // there is none (a fresh clone): compute it first so the lint really checks the boundaries.
  run('project graph', 'nx show projects', path.join(BIN, 'nx'), ['show', 'projects'], { env: { NX_DAEMON: 'false' }, quiet: true });
  run('lint', 'eslint apps libs tools bench', path.join(BIN, 'eslint'), ['apps', 'libs', 'tools', 'bench']);
  run('type-check', 'tsc -p tsconfig.json --noEmit', path.join(BIN, 'tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  run('build', 'npm run build', npm().command, [...npm().args, 'run', 'build']);

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

  // jest also writes its results as JSON, so the run can end on a plain `N passed, N failed` line.
  // --forceExit: a connection left retrying by a suite must not hold CI for its 90 minutes; every
  // suite closes what it starts (run `npx jest --detectOpenHandles` to check one).
  const results = path.join(os.tmpdir(), `flow-oauth-jest-${process.pid}.json`);
  const jest = spawnSync(path.join(BIN, 'jest'), ['--ci', '--forceExit', '--json', `--outputFile=${results}`, ...jestArgs], { cwd: ROOT, stdio: 'inherit' });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (jest.error) fail('jest', `could not run jest: ${jest.error.message}`);
  const counts = readCounts(results);
  if (jest.status !== 0) {
    if (counts) console.log(`\n${counts}`);
    fail('jest', `tests failed (exit ${jest.status}; whole run ${seconds} s); see jest's summary above.`);
  }
  console.log(`\nnpm test: lint, type-check, build and every jest suite passed in ${seconds} s.`);
  if (counts) console.log(counts);
}

/** jest's totals as one plain line (`N passed, N failed, N skipped`), or undefined without results. */
function readCounts(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    return `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
  } catch {
    // jest could not write its results (it failed before running); its own output says why.
    return undefined;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Runs one step; on failure, stops everything and says how to reproduce it alone. */
function run(name, display, command, args, { env = {}, quiet = false } = {}) {
  step(`${name}: ${display}`);
  const stdio = quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit';
  const result = spawnSync(command, args, { cwd: ROOT, stdio, env: { ...process.env, ...env } });
  if (result.error) fail(name, `could not run ${display} (${result.error.message}); run \`npm install\` first.`);
  if (result.status !== 0) fail(name, `see the output above; reproduce with \`${display.startsWith('npm') ? display : `npx ${display}`}\`.`);
}

function npm() {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath)) return { command: process.execPath, args: [execPath] };
  return { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: [] };
}

function step(text) {
  console.log(`\n> ${text}`);
}

function fail(name, message) {
  console.error(`\nnpm test failed at step "${name}": ${message}`);
  process.exit(1);
}
