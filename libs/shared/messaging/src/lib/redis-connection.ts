import { settleWithin } from '@flow-oauth/deadline';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { MessagingConnection } from './messaging-options';

// ioredis waits this long for a socket to close before destroying it, with a timer that keeps
// the process alive; when the socket is already dead (Redis down) its default 2 s delays exit.
const DISCONNECT_TIMEOUT_MS = 200;

/** Opens an ioredis connection fit for BullMQ (`maxRetriesPerRequest: null`). */
export function createRedis(connection: MessagingConnection, connectionName: string): Redis {
  return new Redis(connection.url, { connectionName, disconnectTimeout: DISCONNECT_TIMEOUT_MS, maxRetriesPerRequest: null });
}

/** Connection options for a BullMQ class that opens (and closes) its own connections. */
export function bullMqConnection(connection: MessagingConnection): ConnectionOptions {
  return { disconnectTimeout: DISCONNECT_TIMEOUT_MS, ...connection, maxRetriesPerRequest: null };
}

/** Resolves once the connection is ready; rejects with a clear message after `timeoutMs`. */
export async function waitForReady(redis: Redis, timeoutMs: number, who: string): Promise<void> {
  if (redis.status === 'ready') {
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const cause = (): string => (lastError ? ` (${lastError.message})` : '');
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      lastError = error;
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`${who}: the Redis connection was closed before it was ready${cause()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${who}: Redis is not reachable, not ready after ${timeoutMs} ms${cause()}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      redis.off('end', onEnd);
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
    redis.on('end', onEnd);
  });
}

/** Closes a connection without hanging: QUIT when connected (bounded), else drop the socket. */
export async function closeRedis(redis: Redis, timeoutMs = 2_000): Promise<void> {
  if (redis.status === 'end') {
    return;
  }
  if (redis.status === 'ready') {
    // QUIT waits for the replies of earlier commands; a dead server must not stall shutdown.
    const quit = await settleWithin(redis.quit(), timeoutMs).catch(() => undefined);
    if (quit !== undefined) {
      return;
    }
  }
  redis.disconnect();
}
