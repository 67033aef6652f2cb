import { OAuthProtocolError } from '@flow-oauth/oauth-client';
import type { RefreshOutcomeLabel } from '@flow-oauth/observability';
import { LockTimeoutError } from './connector-lock';
import { StaleTokenWriteError } from './connector-token-store';
import { ProviderChangedError, RefreshStorageError } from './refresh-errors';
import type { HistoryOutcome } from './refresh-history';
import type { RefreshOutcome } from './token-refresh.service';

/** How a refresh that returned ended, as logs and metrics name it (background and on-demand alike). */
export function refreshOutcomeKind(outcome: RefreshOutcome): RefreshOutcomeLabel {
  return outcome.status === 'refreshed' && outcome.source === 'pending' ? 'recovered_pending' : outcome.status;
}

/**
 * How a refresh that returned ended, as the admin page's hourly chart counts it: a refresh that did
 * not call the provider because the connector already needed its user, or its provider's credentials
 * were already rejected, is `skipped` (neither refreshed nor failed), not one more failure.
 */
export function refreshHistoryOutcome(outcome: RefreshOutcome): HistoryOutcome {
  return 'skipped' in outcome && outcome.skipped ? 'skipped' : refreshOutcomeKind(outcome);
}

/** How a refresh that threw ended. */
export function refreshFailureKind(error: unknown): RefreshOutcomeLabel {
  if (error instanceof OAuthProtocolError) return 'provider_error';
  if (error instanceof RefreshStorageError) return 'storage_error';
  if (error instanceof ProviderChangedError) return 'provider_changed';
  if (error instanceof LockTimeoutError) return 'lock_busy';
  if (error instanceof StaleTokenWriteError) return 'stale';
  return 'error';
}

/**
 * The log level of a refresh outcome's line (background and on-demand alike): what went as it
 * should, or needs nobody (a connector refreshed meanwhile, deleted, or of a type that does not
 * refresh; another refresh holding the lock), is `log`; the operator's credentials refused, or an
 * error nothing explains, `error`; the rest (retried, or a user must sign in again) `warn`.
 */
export function refreshOutcomeLevel(outcome: RefreshOutcomeLabel): 'log' | 'warn' | 'error' {
  switch (outcome) {
    case 'refreshed':
    case 'fresh':
    case 'not_refreshable':
    case 'missing':
    case 'recovered_pending':
    case 'lock_busy':
      return 'log';
    case 'credentials_rejected':
    case 'error':
      return 'error';
    default:
      return 'warn';
  }
}
