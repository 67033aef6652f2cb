/** BullMQ work queues (kebab-case names, also part of every Redis key of the queue). */
export enum QueueName {
  TokenRefresh = 'token-refresh',
}

/** Job names of the `token-refresh` queue. */
export enum TokenRefreshJobName {
  RefreshConnector = 'refresh-connector',
  /** Queued by the job scheduler of earlier releases; the sweep now runs on each token-refresher's own timer. */
  Sweep = 'sweep',
}

/** Why a refresh job was queued. */
export type RefreshReason = 'scheduled' | 'sweep' | 'created';

/** Data of a `refresh-connector` job. */
export interface RefreshJobData {
  connectorId: string;
  reason: RefreshReason;
  /** ISO 8601 time the refresh is due (the connector's next refresh time), to measure the lag behind it. */
  dueAt?: string;
}

/**
 * The job id of a connector's refresh job, so there is at most one per connector.
 * BullMQ ids may not contain ':' and may not be plain integers; percent-encoding keeps the
 * mapping one-to-one (`a:b` and `a_b` never share an id).
 */
export function refreshJobId(connectorId: string): string {
  if (connectorId.length === 0) {
    throw new Error('refreshJobId: connectorId must not be empty');
  }
  return `refresh-${encodeURIComponent(connectorId)}`;
}

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

/** Name of the refresh jobs' retry schedule; token-refresher's worker computes it (refreshRetryDelay). */
export const REFRESH_BACKOFF = 'refresh';

/** Options of a connector's refresh job, structurally compatible with BullMQ's `JobsOptions`. */
export interface RefreshJobOptions {
  readonly attempts: number;
  readonly backoff: { readonly type: typeof REFRESH_BACKOFF; readonly delay: number; readonly jitter: number };
  readonly removeOnComplete: number;
  readonly removeOnFail: number;
}

/**
 * Options of a connector's refresh job. A provider outage outlasts seconds: retries wait 30 s, 1 min,
 * 2 min ... (about an hour in all, with jitter) before the connector shows refresh_failed; the
 * sweep keeps trying such connectors after that. A failure that did not involve the provider (the
 * database did not take a write) is retried within seconds instead (see refreshRetryDelay).
 */
export const REFRESH_JOB_OPTIONS: RefreshJobOptions = {
  attempts: 8,
  backoff: { type: REFRESH_BACKOFF, delay: 30_000, jitter: 0.5 },
  removeOnComplete: 100,
  removeOnFail: 500,
};
