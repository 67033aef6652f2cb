import { ConnectorEntity } from '@flow-oauth/persistence';
import { callApi, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/** `n` nested objects: `{"a":{"a":...1}}`. */
const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe.each(TEST_DATABASE_KINDS)('flow-oauth-server request bodies on %s', (kind) => {
  let flow: RunningFlowServer;
  let userKey: string;

  beforeAll(async () => {
    flow = await startFlowServer(kind);
    await flow.loadProviders({ github: { 'GH-Body': { CLIENT_ID: 'gh-id', CLIENT_SECRET: 'gh-secret' } } });
    userKey = await flow.createUser('alice');
  });
  afterAll(async () => {
    await flow?.close();
  });

  const start = (raw: string) => callApi(flow.url, 'POST', '/api/connectors/authorizations', { key: userKey, raw });

  it('a sign-in request nested 10,000 levels deep (60 KB) is a 400, never a 500, and starts nothing', async () => {
    const raw = `{"type": "github", "provider": "GH-Body", "label": "Deep_1", "extra": ${objects(10_000)}}`;
    expect(raw.length).toBeGreaterThan(60_000);
    const res = await start(raw);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_request', message: expect.stringMatching(/^Body is nested more than 64 levels deep \(at \/extra\/a\/a/) });
    expect(await flow.dataSource.getRepository(ConnectorEntity).count()).toBe(0);
    // The server is fine afterwards.
    expect((await start('{"type": "github", "provider": "GH-Body", "label": "After_1"}')).status).toBe(201);
  });

  it('a body nested exactly 64 levels is read', async () => {
    const res = await start(`{"type": "github", "provider": "GH-Body", "label": "Deep_64", "extra": ${objects(63)}}`);
    expect(res.status).toBe(201);
  });

  it('a body over the fixed 64 KiB limit is a 413 naming that limit, not FLOW_MAX_CONFIG_BYTES', async () => {
    const res = await start(JSON.stringify({ type: 'github', provider: 'GH-Body', label: 'Big_1', pad: 'x'.repeat(70_000) }));
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: 'payload_too_large', limit: 65536, message: 'Body is larger than 65536 bytes (64 KiB), the most this route accepts; the limit is fixed.' });
  });
});
