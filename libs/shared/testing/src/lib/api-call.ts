import * as http from 'node:http';

/** An HTTP answer as tests read it: status, parsed JSON (when it is JSON), raw text, headers. */
export interface ApiAnswer {
  status: number;
  // Tests read loosely typed JSON answers.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
  headers: Headers;
}

export interface ApiCallOptions {
  /** The API key, sent as `appKey` (ThingWorx style) or `Authorization: Bearer`; null sends none. */
  key?: string | null;
  keyHeader?: 'appKey' | 'bearer';
  /** A JSON body (strings are sent as they are). */
  body?: unknown;
  /** A raw body, sent byte for byte. */
  raw?: string;
  contentType?: string;
  /** Connect from this loopback address (127.0.0.2, ...) to play another client; sent over node:http, as fetch cannot bind. */
  localAddress?: string;
}

/** Calls a Flow OAuth HTTP API the way a client would (no redirects followed). */
export async function callApi(baseUrl: string, method: string, path: string, options: ApiCallOptions = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (options.key) {
    if (options.keyHeader === 'bearer') headers['authorization'] = `Bearer ${options.key}`;
    else headers['appKey'] = options.key;
  }
  let payload = options.raw;
  if (payload === undefined && options.body !== undefined) payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.localAddress) return callFrom(options.localAddress, `${baseUrl}${path}`, method, headers, payload);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: payload, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

function callFrom(localAddress: string, url: string, method: string, headers: Record<string, string>, payload: string | undefined): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode ?? 0, json, text, headers: answerHeaders });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
