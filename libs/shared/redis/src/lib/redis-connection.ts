import { Redis, type RedisOptions } from 'ioredis';

/** A connection as BullMQ needs it (`maxRetriesPerRequest: null`); also used for locks and OAuth state. */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...options });
}

/** Options object for BullMQ's `connection` (it makes its own connections from these). */
export function bullConnectionOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/**
 * Pings Redis once with a short timeout, without retries; rejects with the socket's own error
 * (ECONNREFUSED, ENOTFOUND, WRONGPASS ...) when it does not answer. Also used by `npm start` and
 * `npm test` (tools/dependency-checks.js) from the build.
 */
export async function pingRedis(url: string, timeoutMs = 2000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null, enableOfflineQueue: false });
  // With retries off, connect() rejects with "Connection is closed."; the socket's error says why.
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    client.disconnect();
  }
}
