import { ConnectorEntity } from '@flow-oauth/persistence';
import { REDIS } from '@flow-oauth/redis';
import { callApi, TEST_DATABASE_KINDS } from '@flow-oauth/testing';
import type { Redis } from 'ioredis';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

// POST /api/connectors/authorizations is validated by StartAuthorizationSchema (libs/connectors): a bad
// field is a 400 `invalid_request` naming it, with one `problems` entry per field, and no sign-in starts.

const LABEL_CHARACTERS = 'label may contain only letters, digits, _ and - (no spaces or other characters)';
const SCOPE_WORDS = 'scopes must be an array of scope strings (each one word of visible ASCII characters)';

describe.each(TEST_DATABASE_KINDS)('sign-in request validation on %s', (kind) => {
  let flow: RunningFlowServer;
  let userKey: string;
  let redis: Redis;

  beforeAll(async () => {
    flow = await startFlowServer(kind, { FLOW_ALLOWED_REDIRECT_ORIGINS: 'https://flow.example.com' });
    await flow.loadProviders({ github: { 'GH-V': { CLIENT_ID: 'gh-id', CLIENT_SECRET: 'gh-secret' } } });
    userKey = await flow.createUser('alice');
    redis = flow.app.get<Redis>(REDIS);
  });
  afterAll(async () => {
    await flow?.close();
  });

  const start = (body: unknown) => callApi(flow.url, 'POST', '/api/connectors/authorizations', { key: userKey, body });
  /** Pending sign-ins, start links and browser bindings this server stored in Redis. */
  const signInKeys = async () => (await redis.keys(`${flow.config.queuePrefix}:oauth-*`)).length;
  const good = { type: 'github', provider: 'GH-V', label: 'Good_1' };

  it.each([
    ['no type', { provider: 'GH-V', label: 'L_1' }, [{ path: '/type', message: 'type is required' }]],
    ['a type that is not a string', { ...good, type: 7 }, [{ path: '/type', message: 'type must be a string' }]],
    ['an unknown connector type', { ...good, type: 'gmail' }, [{ path: '/type', message: 'type must be one of the connector types, e.g. google_gmail (GET /api/providers lists what you can connect to)' }]],
    ['a connector type in the wrong case', { ...good, type: 'GitHub' }, [{ path: '/type', message: 'type must be one of the connector types, e.g. google_gmail (GET /api/providers lists what you can connect to)' }]],
    ['an empty provider', { ...good, provider: '' }, [{ path: '/provider', message: 'provider is required' }]],
    ['no label', { type: 'github', provider: 'GH-V' }, [{ path: '/label', message: 'label is required' }]],
    ['a label that is not a string', { ...good, label: 12 }, [{ path: '/label', message: 'label is required' }]],
    ['a label starting with a digit', { ...good, label: '9lives' }, [{ path: '/label', message: 'label must not start with a digit' }]],
    ['a label with a space', { ...good, label: 'has space' }, [{ path: '/label', message: LABEL_CHARACTERS }]],
    ['a label over 128 characters', { ...good, label: `L${'a'.repeat(128)}` }, [{ path: '/label', message: 'label must be at most 128 characters' }]],
    ['params that are an array', { ...good, params: ['tenant'] }, [{ path: '/params', message: 'params must be an object of strings' }]],
    ['scopes that are a string', { ...good, scopes: 'repo user' }, [{ path: '/scopes', message: 'scopes must be an array of scope strings' }]],
    ['a scope with a space', { ...good, scopes: ['repo', 'read user'] }, [{ path: '/scopes', message: SCOPE_WORDS }]],
    ['a scope that is not a string', { ...good, scopes: ['repo', 3] }, [{ path: '/scopes/1', message: 'scopes[1] must be a string' }]],
    ['a redirectUrl that is not a string', { ...good, redirectUrl: 5 }, [{ path: '/redirectUrl', message: 'redirectUrl must be a URL' }]],
    ['a redirectUrl on another origin', { ...good, redirectUrl: 'https://evil.example.net/x' }, [{ path: '/redirectUrl', message: 'redirectUrl must be on an allowed origin (FLOW_ALLOWED_REDIRECT_ORIGINS)' }]],
  ])('%s is a 400 naming the field, and starts no sign-in', async (_case, body, problems) => {
    const before = await signInKeys();
    const res = await start(body);
    expect({ status: res.status, body: res.json }).toEqual({
      status: 400,
      body: { error: 'invalid_request', message: `${problems.map((p) => p.message).join('; ')}.`, problems },
    });
    expect(await signInKeys()).toBe(before);
    expect(await flow.dataSource.getRepository(ConnectorEntity).count()).toBe(0);
  });

  it('names every bad field of one request at once', async () => {
    const res = await start({ type: '', provider: 3, label: '1st', scopes: 'x' });
    expect(res.status).toBe(400);
    expect(res.json.problems.map((p: { path: string }) => p.path)).toEqual(['/type', '/provider', '/label', '/scopes']);
    expect(res.json.message).toBe('type is required; provider must be a string; label must not start with a digit; scopes must be an array of scope strings.');
  });

  it('keeps its own codes after the schema: 404 for an unknown provider, 400 invalid_params for a bad per-connection value', async () => {
    expect((await start({ ...good, provider: 'Nope' })).json).toMatchObject({ error: 'provider_not_found' });
    await flow.loadProviders({ azure: { 'Azure-V': { CLIENT_ID: 'az-id', CLIENT_SECRET: 'az-secret' } } });
    const res = await start({ type: 'azure', provider: 'Azure-V', label: 'Az_V', params: { tenant: 'evil.com/' } });
    expect({ status: res.status, error: res.json.error }).toEqual({ status: 400, error: 'invalid_params' });
  });

  it('a good request starts a sign-in; fields the schema does not know are ignored', async () => {
    const before = await signInKeys();
    const res = await start({ ...good, scopes: ['repo'], redirectUrl: 'https://flow.example.com/done', note: 'ignored' });
    expect(res.status).toBe(201);
    expect(res.json.authorizeUrl).toMatch(/\/Thingworx\/Oauths\/oauth\/start\?id=/);
    expect(await signInKeys()).toBeGreaterThan(before);
  });
});
