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
  /**
   * Round trips seen since the start or the last resetTurns(): each burst of client data that
   * follows an answer from the server (or opens a connection) counts one. Pipelined commands count once.
   */
  turns(): number;
  resetTurns(): void;
  /**
   * The server is unreachable: every open connection is reset (both sides) and new ones are refused
   * (ECONNREFUSED: the proxy stops listening), until restore(). The server itself keeps running and
   * keeps its data, and other clients of it (other suites) see nothing.
   */
  cut(): Promise<void>;
  /** Ends the outage: the proxy listens again on the same port; clients reconnect by themselves. */
  restore(): Promise<void>;
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
 * proxy library offers (none is installed either).
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let cut = false;
  let forwarded = 0;
  let turns = 0;

  const server = net.createServer((client) => {
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
    // A round trip begins when the client speaks after the server has (or for the first time).
    let serverSpoke = true;
    client.on('data', () => {
      if (serverSpoke) turns += 1;
      serverSpoke = false;
    });
    upstream.on('data', () => {
      serverSpoke = true;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as net.AddressInfo;
  const resetAll = () => {
    for (const { client, upstream } of [...pairs]) {
      // A reset, not a polite FIN: the client sees the connection fail as it would on a network fault.
      if (!client.destroyed) client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    get isCut() {
      return cut;
    },
    get connectionsForwarded() {
      return forwarded;
    },
    turns: () => turns,
    resetTurns() {
      turns = 0;
    },
    async cut() {
      if (cut) return;
      cut = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      resetAll();
      await closed;
    },
    async restore() {
      if (!cut) return;
      // The same port: clients keep their configured URL (another process taking it meanwhile would fail this loudly).
      await listen(port);
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
        resetAll();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
