import { randomBytes } from 'node:crypto';
import { type ApiAnswer, callApi, TEST_DATABASE_KINDS, testRedisPrefix } from '@flow-oauth/testing';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

/**
 * Failed authentication is throttled per client address, counted in Redis (shared by every
 * instance). Other clients are played by binding the client socket to another loopback address.
 */
const wrongKey = () => `wrong-${randomBytes(12).toString('hex')}`;

async function settle(attempt: () => Promise<ApiAnswer>, done: (answer: ApiAnswer) => boolean, timeoutMs: number): Promise<ApiAnswer> {
  const deadline = Date.now() + timeoutMs;
  let answer = await attempt();
  while (!done(answer) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer = await attempt();
  }
  return answer;
}

function expectTooMany(answer: ApiAnswer, windowSeconds: number): void {
  expect(answer.status).toBe(429);
  expect(answer.json).toEqual({ error: 'too_many_requests', message: expect.stringContaining('wrong API key') });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe.each(TEST_DATABASE_KINDS)('config-loader throttles failed authentication on %s', (kind) => {
  let loader: RunningConfigLoader;
  const read = (key: string | null, localAddress: string) => callApi(loader.url, 'GET', '/api/oauth-configurations', { key, localAddress });

  beforeAll(async () => {
    loader = await startConfigLoader(kind);
  });
  afterAll(async () => {
    await loader?.close();
  });

  it('150 wrong keys at once: 401 up to the limit (30), then 429 with Retry-After; the right key from that address is refused too, another address is not affected', async () => {
    const answers = await Promise.all(Array.from({ length: 150 }, () => read(wrongKey(), '127.0.0.1')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(120);
    for (const answer of answers.filter((a) => a.status === 429)) expectTooMany(answer, 60);
    for (const answer of answers.filter((a) => a.status === 401)) expect(answer.json.error).toBe('unauthorized');

    // A guesser must not learn that a key is right while blocked.
    expectTooMany(await read(loader.config.adminKey, '127.0.0.1'), 60);
    expectTooMany(await callApi(loader.url, 'GET', '/api/users', { key: loader.config.adminKey, keyHeader: 'bearer', localAddress: '127.0.0.1' }), 60);
    // Unauthenticated routes and requests without a key are not refused.
    expect((await callApi(loader.url, 'GET', '/health', { key: null, localAddress: '127.0.0.1' })).status).toBe(200);
    expect((await read(null, '127.0.0.1')).status).toBe(401);

    expect((await read(loader.config.adminKey, '127.0.0.2')).status).toBe(200);
    expect((await read(wrongKey(), '127.0.0.2')).status).toBe(401);
  });

  it('requests without any key are not counted: they are not guesses', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, () => read(null, '127.0.0.3')));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([401]));
    expect((await read(wrongKey(), '127.0.0.3')).status).toBe(401);
    expect((await read(loader.config.adminKey, '127.0.0.3')).status).toBe(200);
  });
});

describe('config-loader auth throttle: window and instances', () => {
  const started: RunningConfigLoader[] = [];
  afterAll(async () => {
    for (const loader of started) await loader.close();
  });

  it('the block ends after the window: the right key works again and the count starts over', async () => {
    const loader = await startConfigLoader('sqlite', { FLOW_AUTH_FAILURE_LIMIT: '3', FLOW_AUTH_FAILURE_WINDOW_SECONDS: '2' });
    started.push(loader);
    const read = (key: string) => callApi(loader.url, 'GET', '/api/oauth-configurations', { key, localAddress: '127.0.0.4' });
    for (let i = 0; i < 3; i++) expect((await read(wrongKey())).status).toBe(401);
    expectTooMany(await read(wrongKey()), 2);
    expectTooMany(await read(loader.config.adminKey), 2);

    const after = await settle(() => read(loader.config.adminKey), (a) => a.status !== 429, 15_000);
    expect(after.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await read(wrongKey())).status).toBe(401);
    expect((await read(wrongKey())).status).toBe(429);
  });

  it('two instances sharing a prefix share the count; an instance learns of a block at the first failure it sees', async () => {
    const shared = {
      FLOW_QUEUE_PREFIX: testRedisPrefix('cl-throttle'),
      FLOW_ADMIN_KEY: `admin-${randomBytes(16).toString('hex')}`,
      FLOW_SERVICE_KEY: `service-${randomBytes(16).toString('hex')}`,
      FLOW_AUTH_FAILURE_LIMIT: '10',
    };
    const a = await startConfigLoader('sqlite', shared);
    started.push(a);
    const b = await startConfigLoader('sqlite', shared);
    started.push(b);
    const read = (loader: RunningConfigLoader, key: string) => callApi(loader.url, 'GET', '/api/oauth-configurations', { key, localAddress: '127.0.0.5' });

    for (let i = 0; i < 6; i++) expect((await read(a, wrongKey())).status).toBe(401);
    for (let i = 0; i < 4; i++) expect((await read(b, wrongKey())).status).toBe(401);
    // The eleventh failure, counted by b: over the shared limit.
    expectTooMany(await read(b, wrongKey()), 60);
    expectTooMany(await read(b, shared.FLOW_ADMIN_KEY), 60);
    // a has not seen a failure since: it does not know yet (the documented trade-off, no Redis on success) ...
    expect((await read(a, shared.FLOW_ADMIN_KEY)).status).toBe(200);
    // ... and learns at its next failure, from the shared count.
    expectTooMany(await read(a, wrongKey()), 60);
    expectTooMany(await read(a, shared.FLOW_ADMIN_KEY), 60);
  });
});
