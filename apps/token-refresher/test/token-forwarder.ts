import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP hop in front of the test OAuth server's token endpoint: forwards every request as is and
 * its answer back, after an optional hook (the test cuts the database there, at the moment the
 * provider is asked) and an optional delay (a slow provider). The provider stays the real one.
 */
export interface TokenForwarder {
  url: string;
  /** Requests received (each forwarded unless the hook threw). */
  received: number;
  /** Runs before a request is forwarded; `grantType` is the form's grant_type. */
  onRequest(hook: ((grantType: string | null) => Promise<void> | void) | undefined): void;
  /** Holds each request this long before forwarding it. */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

export async function startTokenForwarder(target: string): Promise<TokenForwarder> {
  let hook: ((grantType: string | null) => Promise<void> | void) | undefined;
  let delay = 0;
  const state = { received: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.received += 1;
      const body = Buffer.concat(chunks);
      void (async () => {
        await hook?.(new URLSearchParams(body.toString('utf8')).get('grant_type'));
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        const headers = { ...req.headers };
        delete headers.host;
        const upstream = http.request(target, { method: req.method, headers, agent: false }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    get received() {
      return state.received;
    },
    onRequest(next) {
      hook = next;
    },
    setDelay(ms) {
      delay = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
