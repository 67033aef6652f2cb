// Pre-flight checks shared by `npm start` and `npm test`: does Redis / PostgreSQL answer right now?
const { Redis } = require('ioredis');
const { Client } = require('pg');

const REDIS_START_COMMAND = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';
const POSTGRES_START_COMMAND = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** A URL fit for a message: any password replaced by `***`. */
function maskUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a valid URL)';
  }
}

/** Resolves when Redis answers PING within the timeout; rejects with the reason otherwise. */
async function pingRedis(url, timeoutMs = 2000) {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // With retries off, connect() rejects with "Connection is closed."; the socket's own error
  // (ECONNREFUSED, ENOTFOUND, WRONGPASS...) is the useful reason.
  let socketError;
  client.on('error', (error) => {
    socketError ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw socketError ?? error;
  } finally {
    client.disconnect();
  }
}

/** Resolves when PostgreSQL accepts a connection and answers SELECT 1. */
async function pingPostgres(url, timeoutMs = 3000) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
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
  redisProblem: (url) => problemWith(pingRedis, url),
  postgresProblem: (url) => problemWith(pingPostgres, url),
};
