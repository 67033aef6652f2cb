import { escapeHtml, renderPage } from '@flow-oauth/web-pages';

/** What the confirmation page names: who will own the connector, and what it connects to. */
export interface ConfirmationFacts {
  owner: string;
  type: string;
  typeTitle: string;
  provider: string;
  label: string;
  /** Host of the provider's sign-in page. */
  signInHost: string;
}

/**
 * The page a start link shows in a browser without the owner's Flow session: it names the Flow user
 * who will own the connector, so a person sent someone else's link sees whose connector their
 * account would feed, and goes on only by choosing to. A plain form, so a non-browser client that
 * parses it can submit it.
 */
export function renderConfirmationPage(facts: ConfirmationFacts, form: { action: string; startId: string; csrfToken: string }, basePath: string): string {
  const e = escapeHtml;
  const body =
    `<p>You are about to sign in at <strong>${e(facts.typeTitle)}</strong> for a Flow connector. ` +
    `The account you sign in with will be used by the Flow user <strong>${e(facts.owner)}</strong>.</p>` +
    `<dl class="facts">` +
    `<dt>Flow user (owner)</dt><dd id="owner">${e(facts.owner)}</dd>` +
    `<dt>Connector type</dt><dd id="type">${e(facts.typeTitle)} (${e(facts.type)})</dd>` +
    `<dt>Provider</dt><dd id="provider">${e(facts.provider)}</dd>` +
    `<dt>Label</dt><dd id="label">${e(facts.label)}</dd>` +
    `<dt>Sign-in at</dt><dd id="sign-in-host">${e(facts.signInHost)}</dd>` +
    `</dl>` +
    `<p class="note">Continue only if you started this connection, or trust the person who sent you this link. If you do not know <strong>${e(facts.owner)}</strong>, close this window.</p>` +
    `<form method="post" action="${e(form.action)}">` +
    `<input type="hidden" name="id" value="${e(form.startId)}">` +
    `<input type="hidden" name="csrf_token" value="${e(form.csrfToken)}">` +
    `<button type="submit">Continue to ${e(facts.typeTitle)}</button>` +
    `</form>`;
  return renderPage({ title: 'Confirm the connection', body, basePath });
}

/** A sign-in page that refuses: what happened and what to do, plus the error code. */
export function renderSignInProblemPage(problem: { title: string; message: string; error: string }, basePath: string): string {
  return renderPage({ title: problem.title, tone: 'fail', body: `<p>${escapeHtml(problem.message)}</p><p><code>${escapeHtml(problem.error)}</code></p>`, basePath });
}
