import { escapeHtml, renderPage } from '@flow-oauth/web-pages';
import type { ReturnOutcome } from './connector-authorization.service';

/** Where the browser goes after the page: the allow-listed redirect URL, told how the sign-in ended. */
export function continueUrl(outcome: ReturnOutcome): string | undefined {
  if (!outcome.redirectUrl) return undefined;
  const url = new URL(outcome.redirectUrl);
  if (outcome.ok) {
    url.searchParams.set('status', 'success');
    url.searchParams.set('connector', outcome.connector.id);
    url.searchParams.set('label', outcome.connector.label);
  } else {
    url.searchParams.set('status', 'error');
    url.searchParams.set('error', outcome.error);
  }
  return url.toString();
}

/** The page the browser lands on after signing in at the provider: says what happened, plainly. */
export function renderReturnPage(outcome: ReturnOutcome, basePath = ''): string {
  const body = outcome.ok
    ? `<p>The connector <strong>${escapeHtml(outcome.connector.label)}</strong> (${escapeHtml(outcome.connector.type)} / ${escapeHtml(outcome.connector.provider)}) is ready. You can close this window.</p>`
    : `<p>${escapeHtml(outcome.message)}</p><p><code>${escapeHtml(outcome.error)}</code></p>`;
  const next = continueUrl(outcome);
  // redirectUrl was checked against FLOW_ALLOWED_REDIRECT_ORIGINS when the sign-in started.
  const refresh = next ? `<meta http-equiv="refresh" content="2;url=${escapeHtml(next)}">` : '';
  const link = next ? `<p><a id="continue" href="${escapeHtml(next)}">Continue</a></p>` : '';
  return renderPage({ title: outcome.ok ? 'Connector created' : 'Sign-in failed', tone: outcome.ok ? 'ok' : 'fail', body: `${body}${link}`, head: refresh, basePath });
}
