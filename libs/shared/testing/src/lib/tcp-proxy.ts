import * as net from 'node:net';

export interface TcpProxyOptions {
  /** Where the proxy forwards to, e.g. PostgreSQL at 127.0.0.1:5432 or a private redis-server. */
  targetHost: string;
  targetPort: number;
}

export interface TcpProxy {
  /** The proxy's own port on 127.0.0.1 (free, picked at start). */
  port: number;
  /** `true` between cut() and restore(). */
  readonly isCut: boolean;
  /** Connections accepted and forwarded so far. */
  readonly connectionsForwarded: number;
  /** Connections refused while cut. */
  readonly connectionsRefused: number;
  /**
   * A network outage between the clients and the server: every open connection is reset (both
   * sides), and every new one is reset as soon as it arrives, until restore(). The server itself
   * keeps running and keeps its data, as it would when only the network between them fails.
   */
  cut(): void;
  /** Ends the outage: new connections are forwarded again (clients reconnect by themselves). */
  restore(): void;
  /** `url` with its host and port replaced by the proxy's (e.g. a postgres:// or redis:// URL). */
  urlThrough(url: string): string;
  /** Closes the proxy and every connection through it. */
  stop(): Promise<void>;
}

/**
 * A cuttable TCP proxy on loopback (node:net): the way a test takes a shared PostgreSQL or Redis
 * "down" for its own clients without stopping the server other suites use.
 *
 * Hand-written on purpose: it is a few dozen lines of node:net, and the fault it must produce (reset
 * every open connection at once, refuse new ones, then heal on the same port) is not what a general
 * proxy library offers.
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let cut = false;
  let forwarded = 0;
  let refused = 0;

  const server = net.createServer((client) => {
    if (cut) {
      refused += 1;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    forwarded += 1;
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    get isCut() {
      return cut;
    },
    get connectionsForwarded() {
      return forwarded;
    },
    get connectionsRefused() {
      return refused;
    },
    cut() {
      cut = true;
      for (const { client, upstream } of [...pairs]) {
        // A reset, not a polite FIN: the client sees the connection fail as it would on a network fault.
        if (!client.destroyed) client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
    },
    urlThrough(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      }),
  };
}
