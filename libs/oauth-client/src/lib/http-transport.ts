import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type TransportFailure = 'timeout' | 'network' | 'too_large' | 'invalid_url' | 'invalid_request';

/** The request never produced a complete answer. The message names the origin only, never the path or query. */
export class TransportError extends Error {
  reason: TransportFailure;

  constructor(reason: TransportFailure, message: string) {
    super(message);
    this.name = 'TransportError';
    this.reason = reason;
  }
}

export interface HttpTransportOptions {
  timeoutMs: number;
  maxResponseBytes: number;
}

/** node:http(s) with keep-alive agents, one deadline per request, no redirect following and a response-size cap. */
export class HttpTransport {
  // Idle sockets are dropped after 4 s, before the common 5 s server keep-alive timeout, so a request
  // is not written to a socket the server is closing (token POSTs are not retried: a rotated refresh
  // token must not be sent twice).
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 4_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 4_000 });

  constructor(private readonly options: HttpTransportOptions) {}

  /** Sends one request and reads the whole answer (any status; 3xx is returned, not followed). */
  send(request: HttpRequest): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return Promise.reject(new TransportError('invalid_url', 'the endpoint URL is not a valid URL'));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(new TransportError('invalid_url', 'the endpoint URL must be http or https'));
    }
    if (url.username !== '' || url.password !== '') {
      return Promise.reject(new TransportError('invalid_url', 'the endpoint URL must not carry credentials'));
    }
    const origin = url.origin;
    const lib = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const { timeoutMs, maxResponseBytes } = this.options;

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const finish = (error: TransportError | null, response?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(response as HttpResponse);
      };
      let req: http.ClientRequest;
      try {
        req = lib.request(url, { method: request.method, headers, agent }, onResponse);
      } catch {
        // node throws on a header value it cannot send (CR, LF); report it without echoing anything.
        reject(new TransportError('invalid_request', 'the request has a header HTTP cannot carry'));
        return;
      }
      function onResponse(res: http.IncomingMessage): void {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            finish(new TransportError('too_large', `${origin} answered with more than ${maxResponseBytes} bytes`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('aborted', () => finish(new TransportError('network', `${origin} closed the connection mid-answer`)));
        res.on('error', () => finish(new TransportError('network', `${origin} closed the connection mid-answer`)));
      }
      const timer = setTimeout(() => {
        finish(new TransportError('timeout', `${origin} did not answer within ${timeoutMs} ms`));
        req.destroy();
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        finish(new TransportError('network', `could not reach ${origin}${error.code ? ` (${error.code})` : ''}`));
      });
      req.end(request.body);
    });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
