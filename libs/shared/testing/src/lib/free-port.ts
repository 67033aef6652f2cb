import { createServer } from 'node:net';

/** A free loopback port, for a process whose port must be known before it starts (FLOW_PUBLIC_URL, a child's environment). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
