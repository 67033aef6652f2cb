import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertDistBuilt, createPm2Deployment, FLOW_APPS, type Pm2Deployment, type Pm2Process, waitUntil } from '../pm2-deployment';

// The documented operations, end to end: ecosystem.config.js under a private pm2 daemon (never the
// machine's default one), the built dist, generated keys, the CLI, `pm2 restart`, and Redis down.

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'tools', 'flow-oauth-cli.js');
const SECRET = `smoke-secret-${randomBytes(8).toString('hex')}`;

async function processNamed(d: Pm2Deployment, name: string): Promise<Pm2Process | undefined> {
  return (await d.instances(name))[0];
}

function cli(d: Pm2Deployment, args: string[]) {
  // cwd is a folder without .env or data/: the CLI must find the admin key through FLOW_DATA_DIR.
  const result = spawnSync(process.execPath, [CLI, ...args, '--url', d.url('config-loader')], {
    cwd: os.tmpdir(),
    env: d.env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}${result.stderr}` };
}

describe('pm2 deployment (ecosystem.config.js, built dist)', () => {
  let main: Pm2Deployment;
  let noRedis: Pm2Deployment | undefined;
  let noRedisStart: ChildProcess | undefined;

  beforeAll(async () => {
    assertDistBuilt();
    main = await createPm2Deployment({ name: 'smoke-main' });
    await main.start();
  }, 150_000);

  afterAll(async () => {
    noRedisStart?.kill('SIGKILL');
    await main?.destroy();
    await noRedis?.destroy();
  }, 120_000);

  it('starts config-loader, flow-oauth-server and token-refresher online, each answering GET /health', async () => {
    await main.waitHealthy();
    const names = (await main.list()).map((p) => p.name).sort();
    expect(names).toEqual([...FLOW_APPS].sort());
    expect(fs.existsSync(path.join(main.dataDir, 'generated-keys.json'))).toBe(true);
  }, 90_000);

  it('loads a provider with the generated admin key; reads redact the secret; flow-oauth-server serves it', async () => {
    const file = JSON.stringify({ google_gmail: { 'Gmail-1': { CLIENT_ID: 'smoke-client-id', CLIENT_SECRET: SECRET } } });
    const load = await main.api('config-loader', 'POST', '/api/oauth-configurations', file);
    expect(load.status).toBe(200);
    expect(load.json).toEqual({ applied: true, plan: { added: [{ type: 'google_gmail', provider: 'Gmail-1' }], updated: [], unchanged: [], conflicts: [] } });

    const read = await main.api('config-loader', 'GET', '/api/oauth-configurations');
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ google_gmail: { 'Gmail-1': { CLIENT_ID: 'smoke-client-id', CLIENT_SECRET: '********' } } });
    expect(read.text).not.toContain(SECRET);

    await waitUntil(
      'flow-oauth-server lists Gmail-1',
      async () => {
        const providers = await main.api('flow-oauth-server', 'GET', '/api/providers');
        return providers.text.includes('Gmail-1') || undefined;
      },
      5_000,
    );
  }, 30_000);

  it('CLI: load --dry-run prints the plan table; an invalid file exits 1 naming each path; no secret is printed', () => {
    const dir = fs.mkdtempSync(path.join(main.dataDir, 'cli-'));
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(
      good,
      JSON.stringify({
        google_gmail: { 'Gmail-1': { CLIENT_ID: 'smoke-client-id', CLIENT_SECRET: SECRET } },
        slack: { 'Slack-1': { CLIENT_ID: 'slack-id', CLIENT_SECRET: 'slack-secret-value' } },
      }),
    );
    const dry = cli(main, ['load', good, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run: nothing was written/);
    expect(dry.stdout).toMatch(/^added\s+slack\s+Slack-1\s*$/m);
    expect(dry.stdout).toMatch(/^unchanged\s+google_gmail\s+Gmail-1\s*$/m);
    expect(dry.stdout).toContain('1 added, 0 updated, 1 unchanged, 0 conflicts');

    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ slack: { 'Slack-1': { CLIENT_ID: 'slack-id', CLIENT_SECRET: '' } }, gmail: {} }));
    const invalid = cli(main, ['load', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.output).toMatch(/^\/slack\/Slack-1\/CLIENT_SECRET\s{2,}\S/m);
    expect(invalid.output).toMatch(/^\/gmail\s{2,}\S/m);

    const list = cli(main, ['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/google_gmail\s+Gmail-1\s+CLIENT_ID=smoke-client-id CLIENT_SECRET=\*{8}/);
    expect(cli(main, ['frobnicate']).code).toBe(2);
    for (const run of [dry, invalid, list]) expect(run.output).not.toContain(SECRET);
    // The dry run wrote nothing.
    expect(cli(main, ['list', '--json']).stdout).not.toContain('Slack-1');
  }, 60_000);

  it('pm2 restart flow-oauth-server brings it back online and healthy, still serving the loaded provider', async () => {
    const before = await processNamed(main, 'flow-oauth-server');
    await main.restart('flow-oauth-server');
    await waitUntil(
      'flow-oauth-server restarted and online',
      async () => {
        const now = await processNamed(main, 'flow-oauth-server');
        return (now && now.pm2_env.status === 'online' && now.pm2_env.restart_time > (before?.pm2_env.restart_time ?? 0)) || undefined;
      },
      60_000,
    );
    await main.waitHealthy();
    const providers = await main.api('flow-oauth-server', 'GET', '/api/providers');
    expect(providers.status).toBe(200);
    expect(providers.text).toContain('Gmail-1');
    expect(providers.text).not.toContain(SECRET);
    // The other two were not touched.
    for (const name of ['config-loader', 'token-refresher']) expect((await processNamed(main, name))?.pm2_env.restart_time).toBe(0);
  }, 90_000);

  it('with Redis unreachable, says so clearly in the pm2 log within seconds and does not restart-loop', async () => {
    noRedis = await createPm2Deployment({ name: 'smoke-no-redis', env: { REDIS_URL: 'redis://127.0.0.1:1' }, sharedRedis: false });
    const d = noRedis;
    // pm2 start waits (listen_timeout) for a ready signal that cannot come: do not wait for it.
    noRedisStart = await d.startInBackground(['config-loader']);
    const started = Date.now();
    const message = /Redis at redis:\/\/127\.0\.0\.1:1\/? is not reachable/;
    const seen = await waitUntil(
      'the log says Redis is not reachable',
      async () => {
        const p = await processNamed(d, 'config-loader');
        return p && message.test(d.logs(p)) ? p : undefined;
      },
      20_000,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(d.logs(seen)).toMatch(/Start Redis or set REDIS_URL/);
    // Several retry periods later: still the same process, waiting, not a crash loop.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const later = await processNamed(d, 'config-loader');
    expect(later?.pm2_env.restart_time).toBeLessThanOrEqual(1);
    expect(['launching', 'online']).toContain(later?.pm2_env.status);
    expect(d.logs(later as Pm2Process).match(new RegExp(message.source, 'g'))?.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

