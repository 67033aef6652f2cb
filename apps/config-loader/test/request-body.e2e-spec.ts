import { TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

/** `n` nested arrays around nothing: `[[[...]]]`. */
const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** `n` nested objects: `{"a":{"a":...1}}`. */
const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe.each(TEST_DATABASE_KINDS)('config-loader request bodies on %s', (kind) => {
  let loader: RunningConfigLoader;

  beforeAll(async () => {
    loader = await startConfigLoader(kind);
  });
  afterAll(async () => {
    await loader?.close();
  });

  it('a configuration file nested 10,000 levels deep (60 KB) is a 400 naming where the limit was passed, and nothing is written', async () => {
    const before = await loader.snapshot();
    const deep = `{"odata": {"Deep": {"CLIENT_ID": "x", "CLIENT_SECRET": "y", "custom": ${objects(10_000)}}}}`;
    expect(deep.length).toBeGreaterThan(60_000);
    // The pointer of the value that went one level too deep: odata, Deep, custom, then 61 levels of "a",
    // relative to the file the operator wrote, whether sent bare or under the ThingWorx wrapper
    // (object or string): the wrapper is neither in the path nor counted as a level.
    for (const [path, raw, prefix, levels] of [
      ['/api/oauth-configurations', deep, '', 61],
      ['/api/oauth-configurations?dryRun=true', deep, '', 61],
      ['/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration', `{"oauthConfigurations": ${deep}}`, '', 61],
      ['/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration', JSON.stringify({ oauthConfigurations: deep }), '', 61],
    ] as const) {
      const res = await loader.call('POST', path, undefined, { raw });
      expect({ path, status: res.status, error: res.json?.error }).toEqual({ path, status: 400, error: 'invalid_configuration' });
      expect(res.json.errors).toHaveLength(1);
      expect(res.json.errors[0].message).toMatch(/^the JSON is nested more than 64 levels deep/);
      expect(res.json.errors[0].path).toBe(`${prefix}/odata/Deep/custom/${Array(levels).fill('a').join('/')}`);
    }
    expect(await loader.snapshot()).toBe(before);
  });

  it('a duplicate key inside a file sent to the ThingWorx service is reported at its path in the file, as the same file sent bare', async () => {
    const before = await loader.snapshot();
    const file = '{"slack": {"Slack-Dup": {"CLIENT_ID": "a", "CLIENT_ID": "b", "CLIENT_SECRET": "s"}}}';
    const bare = await loader.call('POST', '/api/oauth-configurations', undefined, { raw: file });
    const wrapped = await loader.call('POST', '/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration', undefined, { raw: `{"oauthConfigurations": ${file}}` });
    const asString = await loader.call('POST', '/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration', undefined, { raw: JSON.stringify({ oauthConfigurations: file }) });
    for (const res of [bare, wrapped, asString]) {
      expect(res.status).toBe(400);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['/slack/Slack-Dup/CLIENT_ID']);
    }
    // A duplicate of the wrapper's own key is about the body, not the file: its path says so.
    const twice = await loader.call('POST', '/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration', undefined, { raw: `{"oauthConfigurations": ${file}, "oauthConfigurations": {}}` });
    expect(twice.json.errors.map((e: { path: string }) => e.path)).toContain('/oauthConfigurations');
    expect(await loader.snapshot()).toBe(before);
  });

  it('a file nested to the limit loads under the ThingWorx wrapper too', async () => {
    const res = await loader.call('POST', '/Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration?dryRun=true', undefined, {
      raw: `{"oauthConfigurations": {"odata": {"Deep-64w": {"CLIENT_ID": "x", "CLIENT_SECRET": "y", "AUTH_URL": "https://idp.example.com/auth", "TOKEN_URL": "https://idp.example.com/token", "custom": ${objects(60)}}}}}`,
    });
    expect(res.status).toBe(200);
    expect(res.json.plan.added).toEqual([{ type: 'odata', provider: 'Deep-64w' }]);
  });

  it('a configuration file nested to the limit still loads', async () => {
    // root, odata, provider, custom: 4 levels, then 60 more = 64.
    const res = await loader.call('POST', '/api/oauth-configurations', undefined, {
      raw: `{"odata": {"Deep-64": {"CLIENT_ID": "x", "CLIENT_SECRET": "y", "AUTH_URL": "https://idp.example.com/auth", "TOKEN_URL": "https://idp.example.com/token", "custom": ${objects(60)}}}}`,
    });
    expect(res.status).toBe(200);
    expect(res.json.plan.added).toEqual([{ type: 'odata', provider: 'Deep-64' }]);
  });

  it('small JSON bodies (user keys, ThingWorx delete) nested past 64 levels are a 400, never a 500; 64 levels are read', async () => {
    const before = await loader.snapshot();
    for (const path of ['/api/users', '/Thingworx/Subsystems/WorkflowSubsystem/Services/DeleteOAuthConfiguration']) {
      // As deep as the 16 KiB limit of these routes allows.
      const res = await loader.call('POST', path, undefined, { raw: `{"name": "deep", "x": ${arrays(8000)}}` });
      expect({ path, status: res.status, body: res.json }).toEqual({ path, status: 400, body: { error: 'invalid_request', message: expect.stringMatching(/^Body is nested more than 64 levels deep \(at \/x\/0\/0/) } });
    }
    expect(await loader.snapshot()).toBe(before);
    const created = await loader.call('POST', '/api/users', undefined, { raw: `{"name": "deep64", "x": ${arrays(63)}}` });
    expect(created.status).toBe(201);
  });

  it('a small body over its fixed limit is a 413 naming the real limit, not FLOW_MAX_CONFIG_BYTES', async () => {
    const res = await loader.call('POST', '/api/users', undefined, { raw: JSON.stringify({ name: 'big', pad: 'x'.repeat(20_000) }) });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: 'payload_too_large', limit: 16384, message: 'Body is larger than 16384 bytes (16 KiB), the most this route accepts; the limit is fixed.' });
  });
});
