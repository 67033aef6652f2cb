import { htmlPageHeaders, pageContentSecurityPolicy, STRICT_CSP_DIRECTIVES } from './content-security-policy';
import { escapeHtml, publicBasePath, renderPage } from './page-layout';

describe('page Content-Security-Policy', () => {
  it('is strict by default: nothing but the own stylesheet, no script, no form target, no framing, no <base>', () => {
    expect(pageContentSecurityPolicy()).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(Object.keys(STRICT_CSP_DIRECTIVES)).not.toContain('script-src');
  });

  it('widens form-action only, reducing URLs to their origin and keeping keywords and schemes', () => {
    const policy = pageContentSecurityPolicy({ formAction: ["'self'", 'https://accounts.example.com/o/oauth2/auth?state=secret&x=1', 'https:'] });
    expect(policy).toBe("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self' https://accounts.example.com https:; frame-ancestors 'none'");
    expect(policy).not.toContain('secret');
  });

  it('refuses a form target that is not a URL, keyword or scheme (no directive injection)', () => {
    expect(() => pageContentSecurityPolicy({ formAction: ["'self'; script-src *"] })).toThrow();
    expect(() => pageContentSecurityPolicy({ formAction: ['not a url'] })).toThrow();
  });

  it('HTML headers: the policy, nosniff, no-referrer, DENY framing, no-store', () => {
    expect(htmlPageHeaders()).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': pageContentSecurityPolicy(),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
  });
});

describe('page layout', () => {
  it('escapes the title and links the stylesheet under the public base path, with no inline style or script', () => {
    const html = renderPage({ title: '<b>"x"</b>', body: '<p>ok</p>', basePath: '/flow' });
    expect(html).toContain('<title>&#60;b&#62;&#34;x&#34;&#60;/b&#62; - Flow OAuth</title>');
    expect(html).toContain('<link rel="stylesheet" href="/flow/assets/flow.css">');
    expect(html).not.toMatch(/<script|<style|\sstyle=/i);
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
  });

  it('the public base path is the path of FLOW_PUBLIC_URL without a trailing slash', () => {
    expect(publicBasePath('http://localhost:3000')).toBe('');
    expect(publicBasePath('https://example.com/flow/')).toBe('/flow');
  });
});
