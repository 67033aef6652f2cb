import { escapeHtml } from '@flow-oauth/web-pages';

export interface SignInFormSpec {
  /** Where the form posts (`<base path>/sign-in`). */
  action: string;
  csrfToken: string;
  /** What the key is: `user` on the connectors page, `admin` on the admin page. */
  expects: 'user' | 'admin';
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
  const problem = spec.problem ? `<div class="box error" role="alert" id="sign-in-problem"><p>${e(spec.problem.message)}</p><p><code>${e(spec.problem.error)}</code></p></div>` : '';
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
