'use strict';
// What every bench's run() starts with: its arguments (usage on --help or a bad one), then the services
// it needs, each refused with a message naming the variable that points at it.
const { postgresProblem, redisProblem } = require('../../tools/dependency-checks');
const { POSTGRES_URL } = require('./bench-database');

/**
 * `{ options }` to run with, or `{ exitCode }` when there is nothing to run: 0 after printing the
 * usage, 2 for a bad argument, 1 when Redis (or PostgreSQL, if `needsPostgres(options)`) does not answer.
 */
async function benchOptions(name, argv, { parseArgs, usage, needsPostgres }) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    return { exitCode: 2 };
  }
  if (!options) {
    console.log(usage);
    return { exitCode: 0 };
  }
  const redisDown = await redisProblem(process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379');
  if (redisDown) {
    console.error(`bench ${name} needs Redis: ${redisDown}. Set TEST_REDIS_URL.`);
    return { exitCode: 1 };
  }
  if (needsPostgres(options)) {
    const pgDown = await postgresProblem(POSTGRES_URL);
    if (pgDown) {
      console.error(`bench ${name} --db postgres needs PostgreSQL: ${pgDown}. Set TEST_POSTGRES_URL.`);
      return { exitCode: 1 };
    }
  }
  return { options };
}

module.exports = { benchOptions };
