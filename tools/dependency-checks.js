// Pre-flight checks shared by `npm start` and `npm test`: does Redis / PostgreSQL answer right now?
// The Redis and PostgreSQL pings and the URL mask are the libs' own (libs/shared/redis,
// libs/shared/persistence, libs/shared/config), loaded from the build rather than copied here: both
// callers build first, and a copy would drift.
const fs = require('node:fs');
const path = require('node:path');

const REDIS_START_COMMAND = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';
const POSTGRES_START_COMMAND = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const DIST_LIBS = path.resolve(__dirname, '..', 'dist', 'libs', 'shared');

/** A built lib (`dist/libs/shared/<name>/src/index.js`); a clear error when the build has not run. */
function builtLib(name) {
  const file = path.join(DIST_LIBS, name, 'src', 'index.js');
  if (!fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is missing: build first (npm run build)`);
  return require(file);
}

/** A URL fit for a message: any password replaced by `***` (libs/shared/config). */
function maskUrl(url) {
  return builtLib('config').maskUrl(url);
}

/** `undefined` when the service answers, else a one-line reason (never containing a password). */
async function problemWith(ping, url) {
  try {
    await ping(url);
    return undefined;
  } catch (error) {
    // Socket errors read best as their code (ECONNREFUSED); server errors (PostgreSQL's 3D000) as text.
    const code = error && typeof error.code === 'string' && /^E[A-Z]+$/.test(error.code) ? error.code : undefined;
    const reason = code || (error && error.message) || String(error);
    return `${maskUrl(url)} is not reachable (${String(reason).split(url).join(maskUrl(url))})`;
  }
}

module.exports = {
  REDIS_START_COMMAND,
  POSTGRES_START_COMMAND,
  maskUrl,
  redisProblem: (url) => problemWith(builtLib('redis').pingRedis, url),
  postgresProblem: (url) => problemWith((u) => builtLib('persistence').pingPostgres(u, 3000), url),
};
