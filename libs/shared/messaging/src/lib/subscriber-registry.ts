import type { Redis } from 'ioredis';
import { subscribersKey } from './event-queues';

/** How often a broadcast subscriber says it is alive. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** A subscriber not seen for this long is ignored and pruned by emitters. */
export const SUBSCRIBER_TTL_MS = 15_000;

// Scores come from the Redis clock, so hosts with skewed clocks agree on who is alive.
const HEARTBEAT_SCRIPT = `
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
return 1`;

// Atomic, so each stale subscriber is reported to exactly one emitter, which removes its queue.
const LIVE_SUBSCRIBERS_SCRIPT = `
local t = redis.call('TIME')
local cutoff = t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff)
for _, member in ipairs(stale) do redis.call('ZREM', KEYS[1], member) end
return {redis.call('ZRANGEBYSCORE', KEYS[1], cutoff, '+inf'), stale}`;

/** Live and just-pruned subscribers of a group. */
export interface SubscriberSnapshot {
  live: string[];
  stale: string[];
}

/** The Redis sorted sets of live broadcast subscribers, one per consumer group. */
export class SubscriberRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Registers the instance, or refreshes its registration. */
  async heartbeat(group: string, instanceId: string): Promise<void> {
    await this.redis.eval(HEARTBEAT_SCRIPT, 1, subscribersKey(this.prefix, group), instanceId);
  }

  /** Deregisters the instance. */
  async remove(group: string, instanceId: string): Promise<void> {
    await this.redis.zrem(subscribersKey(this.prefix, group), instanceId);
  }

  /** The instances seen within the TTL; removes (and reports) the others. */
  async snapshot(group: string): Promise<SubscriberSnapshot> {
    const key = subscribersKey(this.prefix, group);
    const reply = await this.redis.eval(LIVE_SUBSCRIBERS_SCRIPT, 1, key, SUBSCRIBER_TTL_MS);
    if (!Array.isArray(reply) || reply.length !== 2) {
      throw new Error('SubscriberRegistry: unexpected reply from Redis');
    }
    const [live, stale]: unknown[] = reply;
    return { live: toStrings(live), stale: toStrings(stale) };
  }
}

function toStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
