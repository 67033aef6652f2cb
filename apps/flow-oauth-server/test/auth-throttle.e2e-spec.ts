import { randomBytes } from 'node:crypto';
import { callApi, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/**
 * The same guard as config-loader's: failed keys are counted per client address in Redis, and an
 * address over the limit is refused (429, Retry-After) whatever key it presents. Other clients are
 * played by binding the client socket to another loopback address.
 */
describe.each(TEST_DATABASE_KINDS)('flow-oauth-server throttles failed authentication on %s', (kind) => {
  let flow: RunningFlowServer;
  let userKey: string;

  beforeAll(async () => {
    flow = await startFlowServer(kind);
    userKey = await flow.createUser('alice');
  });
  afterAll(async () => {
    await flow?.close();
  });

  const list = (key: string, localAddress: string, keyHeader: 'appKey' | 'bearer' = 'bearer') => callApi(flow.url, 'GET', '/api/connectors', { key, keyHeader, localAddress });

  it('150 wrong keys at once (user-key shaped, looked up in the database): 401 up to the limit, then 429 with Retry-After', async () => {
    const wrong = (i: number) => (i % 2 === 0 ? `flow_u_${randomBytes(24).toString('base64url')}` : `guess-${i}`);
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => list(wrong(i), '127.0.0.1', i % 3 === 0 ? 'appKey' : 'bearer')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(120);
    for (const answer of answers.filter((a) => a.status === 429)) {
      expect(answer.json).toEqual({ error: 'too_many_requests', message: expect.any(String) });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    }

    // Valid keys from the blocked address are refused until the block ends: the user's, the service's on the token API.
    for (const answer of [await list(userKey, '127.0.0.1'), await callApi(flow.url, 'GET', '/api/connectors/00000000-0000-4000-8000-000000000000/token', { key: flow.config.serviceKey, localAddress: '127.0.0.1' })]) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    // Another address is not affected.
    const elsewhere = await list(userKey, '127.0.0.2');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.json).toEqual([]);
  });
});
