import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the proxy treats the next requests. */
export type HttpFaultMode =
  /** Forward to the real server (default). */
  | { kind: 'pass' }
  /** Answer every request itself with this status and JSON body, never reaching the server (e.g. a 500 outage). */
  | { kind: 'answer'; status: number; body?: Record<string, unknown>; headers?: Record<string, string> };

/** One request through the proxy and what became of it (no header or body values are kept). */
export interface HttpFaultExchange {
  /** 1, 2, 3 ... in the order the requests arrived. */
  id: number;
  at: number;
  method: string;
  path: string;
  /** The form's grant_type, when the request was a token request. */
  grantType?: string;
  /**
   * For a refresh grant: the first 8 hex digits of the refresh token's SHA-256, never the token, so
   * a test can see one refresh token sent twice (a burned token) and match requests to answers.
   */
  tokenHash?: string;
  /** When it ended (answered, dropped or failed). */
  endedAt?: number;
  /** forwarded: the real server answered; answered: the proxy answered itself; dropped: the client left before it was forwarded; failed: the server could not be reached. */
  outcome: 'forwarded' | 'answered' | 'dropped' | 'failed';
  status?: number;
  /** The `error` field of a JSON error answer (invalid_grant, invalid_client ...). */
  error?: string;
}

export interface HttpFaultProxy {
  /** `http://127.0.0.1:<port>`: use `${url}${path}` where the real server's URL would go. */
  url: string;
  /** Every exchange so far, oldest first. */
  readonly exchanges: readonly HttpFaultExchange[];
  /** Requests received and not yet answered (held, or waiting for the server). */
  readonly inFlight: number;
  /** The ids of the requests in flight now; look them up in `exchanges` once they ended. */
  inFlightIds(): number[];
  /** Switches how the following requests are answered (requests already forwarded finish as they were). */
  setMode(mode: HttpFaultMode): void;
  /** `answer` 500 `server_error` from now on. */
  failWith500(): void;
  /** `answer` 429 with `Retry-After: seconds` from now on. */
  rateLimit(retryAfterSeconds: number): void;
  /** Forward again. */
  passThrough(): void;
  /**
   * Holds every request this long before forwarding it (0: no hold), as a slow network in front of
   * the server would: the server has not seen a held request yet, so a client killed meanwhile
   * leaves nothing half-done at the server.
   */
  holdRequests(ms: number): void;
  /**
   * Holds every request from now on until resumeRequests(): the server sees none of them, so a test
   * can act (kill a client, cut its database) at a moment when refreshes are certainly in flight.
   */
  stallRequests(): void;
  /** Forwards the stalled requests whose clients are still there, and stops stalling. */
  resumeRequests(): void;
  /** How many answers of the real server carried this `error` (e.g. 'invalid_grant'), optionally since a time. */
  serverErrors(error: string, since?: number): number;
  /** Exchanges matching a filter (e.g. refresh grants the server answered with 200). */
  count(filter: (exchange: HttpFaultExchange) => boolean): number;
  /** Resolves once at least `n` requests are in flight (held or at the server); rejects after timeoutMs. */
  waitForInFlight(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real server (the oidc-provider's token endpoint) that can pass
 * requests through, answer them itself (500, 429 with Retry-After) for as long as a test says, or
 * hold them, and that counts what the real server answered: a burned rotating refresh token shows
 * up as `invalid_grant` on its reuse.
 */
export async function startHttpFaultProxy(target: string): Promise<HttpFaultProxy> {
  const origin = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const exchanges: HttpFaultExchange[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let mode: HttpFaultMode = { kind: 'pass' };
  let holdMs = 0;
  let stalled: Array<() => void> | undefined;
  let inFlight = 0;
  let lastId = 0;
  const pending = new Set<number>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      inFlight += 1;
      lastId += 1;
      pending.add(lastId);
      const body = Buffer.concat(chunks);
      const isForm = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
      const form = isForm ? new URLSearchParams(body.toString('utf8')) : undefined;
      const refreshToken = form?.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null;
      const exchange: HttpFaultExchange = {
        id: lastId,
        at: Date.now(),
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0],
        grantType: form?.get('grant_type') ?? undefined,
        ...(refreshToken ? { tokenHash: createHash('sha256').update(refreshToken).digest('hex').slice(0, 8) } : {}),
        outcome: 'dropped',
      };
      let clientGone = false;
      let reachedServer = false;
      let finished = false;
      const done = (outcome: HttpFaultExchange['outcome'], status?: number, error?: string) => {
        if (finished) return;
        finished = true;
        inFlight -= 1;
        pending.delete(exchange.id);
        Object.assign(exchange, { outcome, status, error, endedAt: Date.now() });
        exchanges.push(exchange);
      };
      res.on('close', () => {
        if (res.writableFinished) return;
        clientGone = true;
        // Held or stalled and its client went away (killed): it ends here, never reaching the server.
        if (!reachedServer) done('dropped');
      });
      const handle = () => {
        if (clientGone) return done('dropped');
        reachedServer = true;
        const now = mode;
        if (now.kind === 'answer') {
          res.writeHead(now.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(now.headers ?? {}) });
          res.end(JSON.stringify(now.body ?? {}));
          return done('answered', now.status, typeof now.body?.['error'] === 'string' ? (now.body['error'] as string) : undefined);
        }
        const headers = { ...req.headers, host: origin.host };
        const upstream = http.request({ host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers, agent }, (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const payload = Buffer.concat(parts);
            const status = answer.statusCode ?? 502;
            done('forwarded', status, status >= 400 ? errorCode(payload) : undefined);
            if (clientGone) return;
            res.writeHead(status, answer.headers);
            res.end(payload);
          });
        });
        upstream.on('error', () => {
          done('failed');
          if (!clientGone) res.destroy();
        });
        upstream.end(body);
      };
      if (stalled) {
        stalled.push(handle);
      } else if (holdMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          handle();
        }, holdMs);
        timers.add(timer);
      } else {
        handle();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: HttpFaultProxy = {
    url: `http://127.0.0.1:${port}`,
    get exchanges() {
      return exchanges;
    },
    get inFlight() {
      return inFlight;
    },
    inFlightIds: () => [...pending],
    setMode(next) {
      mode = next;
    },
    failWith500() {
      mode = { kind: 'answer', status: 500, body: { error: 'server_error', error_description: 'fault proxy: the token server is down' } };
    },
    rateLimit(retryAfterSeconds) {
      mode = { kind: 'answer', status: 429, body: { error: 'slow_down' }, headers: { 'retry-after': String(retryAfterSeconds) } };
    },
    passThrough() {
      mode = { kind: 'pass' };
    },
    holdRequests(ms) {
      holdMs = ms;
    },
    stallRequests() {
      stalled ??= [];
    },
    resumeRequests() {
      const held = stalled ?? [];
      stalled = undefined;
      for (const handle of held) handle();
    },
    serverErrors(error, since = 0) {
      return exchanges.filter((e) => e.outcome === 'forwarded' && e.error === error && e.at >= since).length;
    },
    count(filter) {
      return exchanges.filter(filter).length;
    },
    async waitForInFlight(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (inFlight < n) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} requests in flight at the proxy after ${timeoutMs} ms (now ${inFlight})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return proxy;
}

function errorCode(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}
