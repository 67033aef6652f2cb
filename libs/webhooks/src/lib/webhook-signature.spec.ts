import { createHmac } from 'node:crypto';
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature';
import { webhookRetryDelayMs } from './webhook-sender';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":"d1","event":"connector.created","data":{}}';

describe('webhook signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of the raw body under the secret', () => {
    expect(signWebhookBody(BODY, SECRET)).toBe(`sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`);
  });

  it('verifies the right body and refuses a changed body, another secret, a changed or missing signature', () => {
    const signature = signWebhookBody(BODY, SECRET);
    expect(verifyWebhookSignature(BODY, signature, SECRET)).toBe(true);
    expect(verifyWebhookSignature(BODY.replace('created', 'deleted'), signature, SECRET)).toBe(false);
    expect(verifyWebhookSignature(BODY, signature, `${SECRET}x`)).toBe(false);
    expect(verifyWebhookSignature(BODY, `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`, SECRET)).toBe(false);
    expect(verifyWebhookSignature(BODY, undefined, SECRET)).toBe(false);
    expect(verifyWebhookSignature(BODY, 'sha256=', SECRET)).toBe(false);
  });
});

describe('webhook retry schedule', () => {
  const settings = { retrySeconds: 10, retryMaxSeconds: 3600 };

  it('doubles from FLOW_WEBHOOK_RETRY_SECONDS and stops growing at FLOW_WEBHOOK_RETRY_MAX_SECONDS', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((n) => webhookRetryDelayMs(n, settings, top))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(webhookRetryDelayMs(20, settings, top)).toBe(3_600_000);
  });

  it('spreads retries over the last fifth of each wait', () => {
    expect(webhookRetryDelayMs(1, settings, () => 0)).toBe(8000);
    expect(webhookRetryDelayMs(1, settings, () => 0.5)).toBe(9000);
  });
});
