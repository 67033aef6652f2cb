/** BullMQ work queues (kebab-case names, also part of every Redis key of the queue). */
export enum QueueName {
  TokenRefresh = 'token-refresh',
}

/** Job names of the `token-refresh` queue. */
export enum TokenRefreshJobName {
  RefreshConnector = 'refresh-connector',
  Sweep = 'sweep',
}

/** Why a refresh job was queued. */
export type RefreshReason = 'scheduled' | 'sweep' | 'created';

/** Data of a `refresh-connector` job. */
export interface RefreshJobData {
  connectorId: string;
  reason: RefreshReason;
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

/**
 * Options of a connector's refresh job. A provider outage outlasts seconds: retries wait 30 s, 1 min,
 * 2 min ... (about an hour in all, with jitter) before the connector shows refresh_failed; the
 * sweep keeps trying such connectors after that.
 */
export const REFRESH_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 },
  removeOnComplete: 100,
  removeOnFail: 500,
};
