import type { ReturnOutcome } from './connector-authorization.service';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page the browser lands on after signing in at the provider: says what happened, plainly. */
export function renderReturnPage(outcome: ReturnOutcome): string {
  const title = outcome.ok ? 'Connector created' : 'Sign-in failed';
  const body = outcome.ok
    ? `<p>The connector <strong>${escape(outcome.connector.label)}</strong> (${escape(outcome.connector.type)} / ${escape(outcome.connector.provider)}) is ready. You can close this window.</p>`
    : `<p>${escape(outcome.message)}</p><p><code>${escape(outcome.error)}</code></p>`;
  const next = outcome.redirectUrl ? `<p><a id="continue" href="${escape(outcome.redirectUrl)}">Continue</a></p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} - Flow OAuth</title><meta name="viewport" content="width=device-width,initial-scale=1"><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}.ok{color:#0a6}.fail{color:#b00}</style></head><body><h1 class="${outcome.ok ? 'ok' : 'fail'}">${title}</h1>${body}${next}</body></html>`;
}
