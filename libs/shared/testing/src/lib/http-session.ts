import * as http from 'node:http';

export interface SessionResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  host: string;
}

/** A tiny browser stand-in over node:http: one cookie jar (name, host and path aware), no redirect following. */
export class HttpSession {
  private cookies: StoredCookie[] = [];

  /** Sends one request with the jar's cookies and stores the cookies of the answer. */
  request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<SessionResponse> {
    const target = new URL(url);
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers: Record<string, string> = { Accept: 'text/html,application/json' };
    const cookie = this.cookieHeader(target);
    if (cookie) headers['Cookie'] = cookie;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return new Promise<SessionResponse>((resolve, reject) => {
      const req = http.request(target, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          this.store(target, res.headers['set-cookie'] ?? []);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), url: target.toString() });
        });
        res.on('error', reject);
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${target.origin} within 10 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Puts a cookie into the jar, as if `url`'s host had set it (e.g. a Flow session made by a test). */
  setCookie(url: string, name: string, value: string, path = '/'): void {
    const host = new URL(url).host;
    this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path && c.host === host));
    this.cookies.push({ name, value, path, host });
  }

  /** The jar's cookies for a host (name, value, path), to check what a server set. */
  cookiesFor(url: string): Array<{ name: string; value: string; path: string }> {
    const host = new URL(url).host;
    return this.cookies.filter((c) => c.host === host).map(({ name, value, path }) => ({ name, value, path }));
  }

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.host && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const attrValue = rest.join('=');
        if (key.toLowerCase() === 'path' && attrValue.startsWith('/')) path = attrValue;
        if (key.toLowerCase() === 'max-age' && Number(attrValue) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(attrValue) <= Date.now()) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path && c.host === url.host));
      if (!expired) this.cookies.push({ name, value, path, host: url.host });
    }
  }
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', quot: '"', lt: '<', gt: '>', apos: "'" };

/** Decodes the character references of an attribute value, in one pass (so `&#38;amp;` stays `&amp;`). */
function decodeHtml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The first form of an HTML page: its action and its hidden inputs. */
export function readForm(html: string): { action: string; hidden: Record<string, string> } | undefined {
  const form = /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const hidden: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const tag = input[0];
    if (!/type="hidden"/i.test(tag)) continue;
    const name = /\bname="([^"]*)"/i.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(tag)?.[1] ?? '';
    if (name) hidden[decodeHtml(name)] = decodeHtml(value);
  }
  return { action: decodeHtml(form[1]), hidden };
}

/** The href of the first link whose target ends with `suffix`. */
export function readLink(html: string, suffix: string): string | undefined {
  for (const match of html.matchAll(/<a\b[^>]*\bhref="([^"]*)"/gi)) {
    const href = decodeHtml(match[1]);
    if (href.split('?')[0].endsWith(suffix)) return href;
  }
  return undefined;
}
