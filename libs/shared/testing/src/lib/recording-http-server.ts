import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as a form (empty for other bodies). */
  form: URLSearchParams;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Destroy the connection instead of answering (a network failure). */
  hangUp?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface RecordingHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replaces how the server answers (default: 200 `{}`). */
  respond(handler: (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>): void;
  stop(): Promise<void>;
}

/** A node:http server on 127.0.0.1 (free port) that records every request and answers as the test scripts it. */
export async function startRecordingServer(
  handler: (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse> = () => ({ body: {} }),
): Promise<RecordingHttpServer> {
  let respond = handler;
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const isForm = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
        form: new URLSearchParams(isForm ? body : ''),
      };
      requests.push(recorded);
      void Promise.resolve(respond(recorded)).then((answer) => {
        const send = () => {
          if (answer.hangUp) {
            res.socket?.destroy();
            return;
          }
          const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
          const headers: Record<string, string> = {
            'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
            ...(answer.headers ?? {}),
          };
          res.writeHead(answer.status ?? 200, headers);
          res.end(payload);
        };
        if (answer.delayMs) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            send();
          }, answer.delayMs);
          timers.add(timer);
        } else {
          send();
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (next) => {
      respond = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
