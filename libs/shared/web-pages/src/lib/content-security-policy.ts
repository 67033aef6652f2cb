/** Content-Security-Policy directives: name -> source expressions. */
export type CspDirectives = Record<string, string[]>;

/**
 * The policy of every answer, pages and JSON alike (helmet sets it app-wide): no script at all,
 * nothing loaded but the app's own stylesheet, no framing, no form submissions, no <base>.
 * A page that posts a form widens `form-action` for itself only (see `pageContentSecurityPolicy`).
 */
export const STRICT_CSP_DIRECTIVES: Readonly<CspDirectives> = Object.freeze({
  'default-src': ["'none'"],
  'style-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
});

export interface PagePolicyOptions {
  /**
   * Where the page's form may submit, and where that submission may be redirected: Chromium checks
   * `form-action` on every redirect of a form navigation, so a form answered by a 303 to another
   * origin must list that origin too.
   */
  formAction?: string[];
}

/** The strict policy as a header value, with `form-action` widened for a page that posts a form. */
export function pageContentSecurityPolicy(options: PagePolicyOptions = {}): string {
  const directives: CspDirectives = { ...STRICT_CSP_DIRECTIVES };
  if (options.formAction && options.formAction.length > 0) directives['form-action'] = options.formAction.map(cspSource);
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

/** Headers of every HTML answer; set per page too, so a page never depends on middleware order. */
export function htmlPageHeaders(options: PagePolicyOptions = {}): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': pageContentSecurityPolicy(options),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

/** A keyword (`'self'`) or a scheme (`https:`) as it is, or a URL reduced to its origin (a CSP source must not carry ; or ,). */
function cspSource(source: string): string {
  if (/^'[a-z-]+'$/.test(source) || /^[a-z][a-z0-9+.-]*:$/.test(source)) return source;
  const origin = new URL(source).origin;
  if (origin === 'null' || /[;,\s]/.test(origin)) throw new Error('not a URL fit for a CSP source');
  return origin;
}
