import type { RetrySoon } from './refresh-schedule';

/**
 * The database (or Redis) failed a refresh: before the provider was called (nothing was asked of
 * it) or after it answered (its token set waits in the pending store). Retried within seconds.
 */
export class RefreshStorageError extends Error implements RetrySoon {
  readonly retrySoon = true as const;

  constructor(connectorId: string, stage: 'before' | 'after', cause: unknown) {
    const reason = cause instanceof Error ? cause.message.slice(0, 200) : 'unknown error';
    super(
      stage === 'before'
        ? `a refresh of connector ${connectorId} could not start (the database or Redis did not answer), so the provider was not called: ${reason}`
        : `the database did not take the refreshed tokens of connector ${connectorId}; they are kept for the next attempt: ${reason}`,
    );
    this.name = 'RefreshStorageError';
  }
}

/** The provider refused credentials that a load has replaced since the refresh read them: try again with the new ones. */
export class ProviderChangedError extends Error implements RetrySoon {
  readonly retrySoon = true as const;

  constructor(providerId: string) {
    super(`provider ${providerId} was changed while a refresh was using its previous credentials`);
    this.name = 'ProviderChangedError';
  }
}
