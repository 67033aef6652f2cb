import { escapeHtml, renderPage } from '@flow-oauth/web-pages';

/** Which page a sign-in form belongs to: the connectors page (a user key) or the admin page (the admin key). */
export type SignInTarget = 'user' | 'admin';

export interface SignInFormSpec {
  /** Where the form posts (`<base path>/sign-in`). */
  action: string;
  csrfToken: string;
  expects: SignInTarget;
  /** An error to show above the form (the API's code and message for the same key). */
  problem?: { error: string; message: string };
}

/**
 * The sign-in form of the pages: one password field (never filled in again), the form's CSRF
 * token, no script. The key travels in the POST body only: never in a URL.
 */
export function renderSignInForm(spec: SignInFormSpec): string {
  const e = escapeHtml;
  const what = spec.expects === 'admin' ? 'the admin key (<code>FLOW_ADMIN_KEY</code>)' : 'your user key (the administrator issued it; it starts with <code>flow_u_</code>)';
  const problem = spec.problem ? `<div class="box error" role="alert" id="problem"><p>${e(spec.problem.message)}</p><p><code>${e(spec.problem.error)}</code></p></div>` : '';
  return (
    problem +
    `<p>Sign in with ${what}. The key is checked once; this browser then keeps an HttpOnly session cookie for 8 hours.</p>` +
    `<form method="post" action="${e(spec.action)}" class="stack" id="sign-in">` +
    `<input type="hidden" name="csrf_token" value="${e(spec.csrfToken)}">` +
    `<input type="hidden" name="page" value="${spec.expects}">` +
    `<label for="key">${spec.expects === 'admin' ? 'Admin key' : 'User key'}<input type="password" id="key" name="key" autocomplete="off" required spellcheck="false"></label>` +
    `<div><button type="submit">Sign in</button></div>` +
    `</form>`
  );
}

/** The whole sign-in page of the connectors page or the admin page. */
export function renderSignInPage(spec: SignInFormSpec & { basePath: string }): string {
  const other =
    spec.expects === 'admin'
      ? `<p class="note">Connecting your own accounts? Use the <a href="${escapeHtml(`${spec.basePath}/`)}">connectors page</a> with your user key.</p>`
      : `<p class="note">Operating Flow? The <a href="${escapeHtml(`${spec.basePath}/admin`)}">admin page</a> takes the admin key.</p>`;
  return renderPage({ title: spec.expects === 'admin' ? 'Flow OAuth administration' : 'Flow OAuth connectors', body: renderSignInForm(spec) + other, basePath: spec.basePath, tone: spec.problem ? 'fail' : undefined });
}
