import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** One POST the receiver took. */
export interface ReceivedWebhook {
  event: string | undefined;
  delivery: string | undefined;
  signature: string | undefined;
  raw: Buffer;
  // Tests read loosely typed JSON bodies.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** What the README's check said of its signature. */
  verified: boolean;
}

export type SignatureCheck = (rawBody: Buffer | string, signature: string | undefined, secret: string) => boolean;

/**
 * The signature check exactly as the README shows it (the `js` block after the
 * `<!-- webhook-signature-check -->` marker), so the documented code is the code that is tested.
 */
export function readmeSignatureCheck(): SignatureCheck {
  const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- webhook-signature-check -->');
  if (marker < 0) throw new Error('README.md has no <!-- webhook-signature-check --> marker');
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!block) throw new Error('no ```js block after the webhook-signature-check marker');
  // The README's code as a receiver would paste it: CommonJS, Node's crypto.
  return new Function('require', `${block[1]}\nreturn verifyFlowSignature;`)(require) as SignatureCheck;
}

/**
 * A webhook receiver on loopback (node:http) that checks every signature with the README's code.
 * `down()` closes its port (connections are refused, as when a receiver is down) and `up()` opens
 * the same port again.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server?: http.Server;
  private port = 0;

  constructor(
    private readonly secret: string,
    private readonly verify: SignatureCheck,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/flow-events`;
  }

  /** Listens (again, on the same port once it had one); no-op while up. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const signature = req.headers['x-flow-signature'] as string | undefined;
        const verified = this.verify(raw, signature, this.secret);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          body = undefined;
        }
        this.received.push({ event: req.headers['x-flow-event'] as string, delivery: req.headers['x-flow-delivery'] as string, signature, raw, body, verified });
        // A receiver refuses what it cannot verify.
        res.writeHead(verified ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** What arrived for one connector, in arrival order. */
  of(connectorId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.body?.connector?.id === connectorId);
  }
}
