import type { FlowAppName } from '@flow-oauth/queue-contracts';

/** Where Redis is (the apps' REDIS_URL). */
export interface MessagingConnection {
  url: string;
}

/** Key prefix of every Redis key the transport writes, unless one is given. */
export const DEFAULT_MESSAGING_PREFIX = 'flow';

/** How long connect/listen wait for Redis before failing with a clear error, unless told. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Options of the event emitter (`BullMqClient`, `MessagingModule`). */
export interface BullMqClientOptions {
  connection: MessagingConnection;
  /** Key prefix (FLOW_QUEUE_PREFIX); emitters and consumers must use the same one. Default `flow`. */
  prefix?: string;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
}

/** Options of the event consumer (`BullMqServer`). */
export interface BullMqServerOptions extends BullMqClientOptions {
  /** The consumer group: the pm2 name of the app this server runs in. */
  group: FlowAppName;
  /** Names this process among the instances of its group; default hostname-pid-random. No ':'. */
  instanceId?: string;
}
