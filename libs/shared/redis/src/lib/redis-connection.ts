import { Redis, type RedisOptions } from 'ioredis';

/** The Redis URL with any password replaced, fit for a log line or an error. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid REDIS_URL)';
  }
}

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

/** Pings Redis once with a short timeout; throws a message naming the (redacted) URL and the cause. */
export async function pingRedis(url: string, timeoutMs = 2000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null, enableOfflineQueue: false });
  // The connect() rejection only says "Connection is closed"; the socket error says why.
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = (cause ?? (error as Error)).message;
    throw new Error(`Redis at ${describeRedisUrl(url)} is not reachable (${reason}). Start Redis or set REDIS_URL.`);
  } finally {
    client.disconnect();
  }
}
