import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-Flow-Signature` of a body: `sha256=` and the hex HMAC-SHA256 of the raw body under the secret. */
export function signWebhookBody(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Whether a received `X-Flow-Signature` is the body's signature under the secret (constant time). */
export function verifyWebhookSignature(rawBody: string | Buffer, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(signWebhookBody(rawBody, secret));
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
