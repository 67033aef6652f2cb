import * as http from 'node:http';
import type { Redis } from 'ioredis';

/**
 * The public port of a scaled app (flow-oauth-server's FLOW_OAUTH_PORT, the one FLOW_PUBLIC_URL and
 * the providers' redirect URIs name) must answer while any instance lives. Instance i listens on
 * port + 100 × i, so instance 0 owns it; but `pm2 scale <app> 1` deletes the OLDEST processes first
 * (pm2 7 `scale` removes procs[0], procs[1] ...), which is instance 0: without a stand-in the public
 * port would go dark while instance 1 still runs on port + 100. Hand-written: pm2 offers no hook for
 * it, and Node 20 has no SO_REUSEPORT to share the port.
 *
 * - Every other instance stands in: while nobody listens on the public port it serves it too (same
 *   request handler), and gives it back when an instance 0 claims it.
 * - Instance 0 claims the port (a short-lived Redis key, seen by every instance) while a stand-in
 *   holds it, and listens as soon as the stand-in lets go.
 */
export interface PublicPortOptions {
  redis: Redis;
  /** Redis key of instance 0's claim, the same for every instance of the app (queue prefix, app, port). */
  claimKey: string;
  port: number;
  /** Listen address; undefined = every interface, as the app's own listener. */
  host?: string;
  logger: { log(message: string): void; warn(message: string): void };
  /** How often a stand-in looks at the port and the claim. */
  intervalMs?: number;
}

/** How long an instance 0's claim lasts unless renewed (it renews it at each try). */
const CLAIM_SECONDS = 10;

export interface PublicPortStandIn {
  /** Whether this instance serves the public port now. */
  readonly holding: boolean;
  /** Stops standing in and closes the public-port listener if it holds one. */
  stop(): Promise<void>;
}

/** Instance i > 0: serves the public port with `handler` while nobody else does; yields it to a claiming instance 0. */
export function standInForPublicPort(handler: http.RequestListener, options: PublicPortOptions): PublicPortStandIn {
  let server: http.Server | undefined;
  let busy = false;
  let stopped = false;
  const close = async () => {
    const open = server;
    server = undefined;
    if (!open) return;
    await new Promise<void>((resolve) => {
      open.close(() => resolve());
      open.closeAllConnections();
    });
  };
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const claimed = (await options.redis.exists(options.claimKey)) === 1;
      if (server && claimed) {
        await close();
        options.logger.log(`public port ${options.port} handed back to instance 0, which claims it`);
      } else if (!server && !claimed) {
        const candidate = http.createServer(handler);
        const bound = await new Promise<boolean>((resolve) => {
          candidate.once('error', () => resolve(false));
          candidate.listen({ port: options.port, host: options.host }, () => resolve(true));
        });
        if (bound && !stopped) {
          server = candidate;
          options.logger.warn(`public port ${options.port} had no listener (instance 0 gone, e.g. pm2 scale down): this instance serves it too until an instance 0 claims it`);
        } else if (bound) {
          candidate.close();
        }
      }
    } catch {
      // Redis unreachable: keep the port as it is; the next tick looks again.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs ?? 2000);
  timer.unref();
  return {
    get holding() {
      return server !== undefined;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await close();
    },
  };
}

/**
 * Instance 0: `listen()` on the public port; while another instance stands in on it (EADDRINUSE),
 * claims the port and tries again every `retryMs` until the stand-in lets go. Rejects on any other error,
 * or on EADDRINUSE with nobody standing in after `giveUpMs` (another program holds the port).
 */
export async function listenOnPublicPort(listen: () => Promise<unknown>, options: PublicPortOptions & { retryMs?: number; giveUpMs?: number }): Promise<void> {
  const giveUpAt = Date.now() + (options.giveUpMs ?? 30_000);
  let said = false;
  for (;;) {
    try {
      await listen();
      if (said) options.logger.log(`public port ${options.port} taken back from the instance that stood in`);
      await options.redis.del(options.claimKey).catch(() => undefined);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > giveUpAt) throw error;
      await options.redis.set(options.claimKey, String(process.pid), 'EX', CLAIM_SECONDS).catch(() => undefined);
      if (!said) options.logger.warn(`public port ${options.port} is in use (another instance stood in while there was no instance 0); claiming it, retrying every ${options.retryMs ?? 2000} ms`);
      said = true;
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 2000));
    }
  }
}
