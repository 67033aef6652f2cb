import type { ReturnOutcome } from './connector-authorization.service';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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
export function renderReturnPage(outcome: ReturnOutcome): string {
  const title = outcome.ok ? 'Connector created' : 'Sign-in failed';
  const body = outcome.ok
    ? `<p>The connector <strong>${escape(outcome.connector.label)}</strong> (${escape(outcome.connector.type)} / ${escape(outcome.connector.provider)}) is ready. You can close this window.</p>`
    : `<p>${escape(outcome.message)}</p><p><code>${escape(outcome.error)}</code></p>`;
  const next = continueUrl(outcome);
  // redirectUrl was checked against FLOW_ALLOWED_REDIRECT_ORIGINS when the sign-in started.
  const refresh = next ? `<meta http-equiv="refresh" content="2;url=${escape(next)}">` : '';
  const link = next ? `<p><a id="continue" href="${escape(next)}">Continue</a></p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} - Flow OAuth</title>${refresh}<meta name="viewport" content="width=device-width,initial-scale=1"><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}.ok{color:#0a6}.fail{color:#b00}</style></head><body><h1 class="${outcome.ok ? 'ok' : 'fail'}">${title}</h1>${body}${link}</body></html>`;
}
