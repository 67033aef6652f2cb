import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test owns, in front of the shared PostgreSQL or a Redis: `cut()` breaks every
 * connection through it and refuses new ones (the database is "gone" for the process behind it,
 * and only for it), `restore()` lets connections through again. It also counts round trips:
 * bursts of client data that follow an answer from the server.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  /** Round trips seen since the proxy started (or since `resetTurns`). */
  turns(): number;
  resetTurns(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cut = false;
  let turns = 0;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // A round trip begins when the client speaks after the server has (or for the first time).
    let serverSpoke = true;
    client.on('data', (chunk) => {
      if (serverSpoke) turns += 1;
      serverSpoke = false;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      serverSpoke = true;
      client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    cut() {
      cut = true;
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
    },
    turns: () => turns,
    resetTurns() {
      turns = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const [client, upstream] of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
