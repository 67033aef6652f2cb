/** BullMQ work queues (kebab-case names, also part of every Redis key of the queue). */
export enum QueueName {
  WebhookDelivery = 'webhook-delivery',
}

/**
 * Queues of earlier releases that nothing serves any more; token-refresher removes them, with every
 * job and scheduler left in them, when it starts. `token-refresh`: one job per background refresh
 * and a repeatable sweep, replaced by the due-refresh loop (the schedule is in the database).
 */
export const RETIRED_QUEUES: readonly string[] = ['token-refresh'];

/** Job names of the `webhook-delivery` queue. */
export enum WebhookJobName {
  /** Sends the due deliveries of one subject (a connector, a provider), oldest first. */
  Deliver = 'deliver',
}

/** Data of a `deliver` job: whose deliveries to send (`connector:<id>` or `provider:<id>`). */
export interface WebhookJobData {
  subject: string;
}

/**
 * Options of a `deliver` job. Its retries are for the database or Redis failing the job itself;
 * a receiver that fails is retried by the outbox's own schedule (FLOW_WEBHOOK_RETRY_*), each
 * attempt a job delayed to its time. Finished jobs are removed at once: their ids are reused.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: 500,
} as const;

/** Job options as plain data, structurally compatible with BullMQ's `JobsOptions`. */
export interface DefaultJobOptions {
  readonly attempts: number;
  readonly backoff: { readonly type: 'exponential'; readonly delay: number; readonly jitter: number };
  readonly removeOnComplete: number;
  readonly removeOnFail: number;
}

/** Defaults for every job: retried with exponential backoff and jitter, bounded history. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  // Waits of up to 1 s, 2 s, 4 s, 8 s; jitter (up to half of each) spreads the retries of many
  // jobs that failed together, e.g. when a provider was down.
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: 100,
  removeOnFail: 500,
};
