import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** The durable queue shared by the instances of a group, for events delivered to 'one' of them. */
export function sharedEventQueue(group: string): string {
  return `events.${group}`;
}

/** The private queue of one running instance, for events broadcast to every instance. */
export function instanceEventQueue(group: string, instanceId: string): string {
  return `events.${group}.${instanceId}`;
}

/** The sorted set of live instances of a group (score: last heartbeat, Redis clock, ms). */
export function subscribersKey(prefix: string, group: string): string {
  return `${prefix}:event-subscribers:${group}`;
}

/** An instance id unique per process start, so a restarted process never inherits a queue. */
export function defaultInstanceId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '-');
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Throws unless `value` can be part of a BullMQ queue name or Redis key (non-empty, no ':'). */
export function assertKeySegment(value: string, what: string): void {
  if (value.length === 0 || value.includes(':')) {
    throw new Error(`${what} must be non-empty and must not contain ':' (got "${value}")`);
  }
}

/** Removes a queue and all its jobs. */
export async function obliterateQueue(redis: Redis, prefix: string, name: string): Promise<void> {
  const queue = new Queue(name, { connection: redis, prefix });
  // Errors surface through the awaited calls; without a listener an 'error' event would throw.
  queue.on('error', () => undefined);
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
