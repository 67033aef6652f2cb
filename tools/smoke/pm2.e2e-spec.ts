import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { INSTANCE_PORT_STEP } from '@flow-oauth/config';
import { createTestDatabase, parsePrometheusText, startTcpProxy, type TcpProxy, type TestDatabase } from '@flow-oauth/testing';
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
  let noDatabase: { deployment?: Pm2Deployment; start?: ChildProcess; proxy?: TcpProxy; db?: TestDatabase } = {};

  beforeAll(async () => {
    assertDistBuilt();
    main = await createPm2Deployment({ name: 'smoke-main' });
    await main.start();
  }, 150_000);

  afterAll(async () => {
    noRedisStart?.kill('SIGKILL');
    await main?.destroy();
    await noRedis?.destroy();
    noDatabase.start?.kill('SIGKILL');
    await noDatabase.deployment?.destroy();
    await noDatabase.proxy?.stop();
    await noDatabase.db?.drop();
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
    expect(list.stdout).toMatch(/google_gmail\s+Gmail-1\s+ok\s+CLIENT_ID=smoke-client-id CLIENT_SECRET=\*{8}/);
    expect(cli(main, ['frobnicate']).code).toBe(2);
    for (const run of [dry, invalid, list]) expect(run.output).not.toContain(SECRET);
    // The dry run wrote nothing.
    expect(cli(main, ['list', '--json']).stdout).not.toContain('Slack-1');
  }, 60_000);

  it('config-loader listens on loopback only by default, the others on every interface; http://localhost reaches config-loader (fetch, CLI)', async () => {
    const reachable = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host, port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    const loader = main.ports['config-loader'];
    const server = main.ports['flow-oauth-server'];
    expect(await reachable('127.0.0.1', loader)).toBe(true);
    expect(await reachable('::1', loader)).toBe(false);
    expect(await reachable('::1', server)).toBe(true);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (external) {
      expect(await reachable(external, loader)).toBe(false);
      expect(await reachable(external, server)).toBe(true);
    }
    // localhost may resolve to ::1 first; Node's fetch and the CLI then fall back to 127.0.0.1.
    const health = await fetch(`http://localhost:${loader}/health`, { signal: AbortSignal.timeout(3000) });
    expect(health.status).toBe(200);
    const list = spawnSync(process.execPath, [CLI, 'list', '--url', `http://localhost:${loader}`], { cwd: os.tmpdir(), env: main.env, encoding: 'utf8', timeout: 30_000 });
    expect({ code: list.status, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);

  it('refuses a short admin key when NODE_ENV=production: exit code 78, naming the variable, never the key', () => {
    const short = `short-${randomBytes(6).toString('hex')}`;
    const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'apps', 'config-loader', 'src', 'main.js')], {
      cwd: os.tmpdir(),
      env: { ...main.env, NODE_ENV: 'production', FLOW_ADMIN_KEY: short, CONFIG_LOADER_PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    expect(`${result.stdout}${result.stderr}`).toContain('FLOW_ADMIN_KEY must be at least 32 characters when NODE_ENV=production');
    expect(`${result.stdout}${result.stderr}`).not.toContain(short);
  }, 30_000);

  it('logs JSON lines into the pm2 log: an access line per request (route pattern, status, request id), never a key', async () => {
    const key = main.keys().admin;
    const res = await fetch(`${main.url('config-loader')}/api/oauth-configurations/slack/Nope-1`, { method: 'DELETE', headers: { appKey: key, 'X-Request-Id': 'smoke-req-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('smoke-req-1');
    const access = await waitUntil(
      'the access line is in the pm2 log',
      async () => {
        const lines = main.logs((await processNamed(main, 'config-loader')) as Pm2Process).split('\n').filter((l) => l.startsWith('{'));
        return lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['reqId'] === 'smoke-req-1');
      },
      5_000,
    );
    expect(access).toMatchObject({ level: 'info', app: 'config-loader', method: 'DELETE', route: '/api/oauth-configurations/:type/:provider', path: '/api/oauth-configurations/slack/Nope-1', statusCode: 404 });
    for (const p of await main.list()) {
      expect(main.logs(p)).not.toContain(key);
      // Every line a process logged is JSON (stdout; stderr is left to Node's own warnings and crashes).
      for (const line of fs.readFileSync(p.pm2_env.pm_out_log_path, 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    }
  }, 30_000);

  it('pm2 scale gives every instance its own port (+100 each) answering /health and /metrics: token-refresher and flow-oauth-server at 2', async () => {
    for (const name of ['token-refresher', 'flow-oauth-server'] as const) {
      await main.scale(name, 2);
      await waitUntil(
        `two ${name} instances online`,
        async () => {
          const list = await main.instances(name);
          return (list.length === 2 && list.every((p) => p.pm2_env.status === 'online')) || undefined;
        },
        60_000,
        main.describe,
      );
      const list = await main.instances(name);
      expect(list.map((p) => p.pm2_env.NODE_APP_INSTANCE).sort()).toEqual([0, 1]);
      expect(new Set(list.map((p) => p.pid)).size).toBe(2);
      const ports = [main.ports[name], main.ports[name] + INSTANCE_PORT_STEP];
      for (const port of ports) {
        await waitUntil(`${name} on port ${port} answers GET /health with 200`, async () => (await main.health(port)) === 200 || undefined, 30_000, main.describe);
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
        const metrics = parsePrometheusText(await res.text());
        expect(res.status).toBe(200);
        expect(metrics.find('process_start_time_seconds', { app: name })).toHaveLength(1);
        if (name === 'token-refresher') expect(metrics.find('flow_refresh_in_flight', { app: name })).toHaveLength(1);
        else expect(metrics.types.get('flow_http_request_duration_seconds')).toBe('histogram');
      }
      // Neither instance crashed on a taken port.
      for (const p of await main.instances(name)) expect(p.pm2_env.restart_time).toBe(0);
    }
    // The second flow-oauth-server serves the loaded provider as the first does.
    const second = await fetch(`http://127.0.0.1:${main.ports['flow-oauth-server'] + INSTANCE_PORT_STEP}/api/providers`, { headers: { appKey: main.keys().admin } });
    expect(await second.text()).toContain('Gmail-1');
  }, 150_000);

  it('pm2 scale flow-oauth-server 1 after 2 removes instance 0, yet the public port keeps answering (instance 1 stands in); scaling to 2 again gives it back to instance 0', async () => {
    const name = 'flow-oauth-server';
    const publicPort = main.ports[name];
    expect((await main.instances(name)).length).toBe(2);
    await main.scale(name, 1);
    await waitUntil(`one ${name} instance online`, async () => ((await main.instances(name)).length === 1 || undefined), 60_000, main.describe);
    // pm2 7 deletes the oldest processes first: instance 0, the one on the public port.
    expect((await main.instances(name)).map((p) => p.pm2_env.NODE_APP_INSTANCE)).toEqual([1]);
    await waitUntil(`${name}'s public port ${publicPort} answers GET /health with 200 (instance 1 standing in)`, async () => (await main.health(publicPort)) === 200 || undefined, 30_000, main.describe);
    const providers = await fetch(`http://127.0.0.1:${publicPort}/api/providers`, { headers: { appKey: main.keys().admin } });
    expect(await providers.text()).toContain('Gmail-1');

    await main.scale(name, 2);
    await waitUntil(
      `two ${name} instances online`,
      async () => {
        const list = await main.instances(name);
        return (list.length === 2 && list.every((p) => p.pm2_env.status === 'online')) || undefined;
      },
      60_000,
      main.describe,
    );
    expect((await main.instances(name)).map((p) => p.pm2_env.NODE_APP_INSTANCE).sort()).toEqual([0, 1]);
    for (const port of [publicPort, publicPort + INSTANCE_PORT_STEP]) {
      await waitUntil(`${name} on port ${port} answers GET /health with 200`, async () => (await main.health(port)) === 200 || undefined, 30_000, main.describe);
    }
    // The new instance 0 waited for its port in-process (no crash, no restart).
    for (const p of await main.instances(name)) expect(p.pm2_env.restart_time).toBe(0);
    await waitUntil('instance 0 logged that it took its port back', async () => (await main.instances(name)).map((p) => main.logs(p)).join('\n').includes('taken back from the instance that stood in') || undefined, 30_000, main.describe);
  }, 150_000);

  it('pm2 restart flow-oauth-server brings it back online and healthy, still serving the loaded provider', async () => {
    const before = await main.instances('flow-oauth-server');
    expect(before.length).toBeGreaterThanOrEqual(1);
    await main.restart('flow-oauth-server');
    await waitUntil(
      'every flow-oauth-server instance restarted and online',
      async () => {
        const now = await main.instances('flow-oauth-server');
        return (now.length === before.length && now.every((p) => p.pm2_env.status === 'online' && p.pm2_env.restart_time > 0)) || undefined;
      },
      60_000,
    );
    await main.waitHealthy();
    // Each instance is back on its own port (instances keep their NODE_APP_INSTANCE across restarts).
    for (const p of await main.instances('flow-oauth-server')) {
      const port = main.ports['flow-oauth-server'] + INSTANCE_PORT_STEP * (p.pm2_env.NODE_APP_INSTANCE ?? 0);
      await waitUntil(`flow-oauth-server instance ${p.pm2_env.NODE_APP_INSTANCE} healthy on ${port}`, async () => (await main.health(port)) === 200 || undefined, 30_000);
    }
    const providers = await main.api('flow-oauth-server', 'GET', '/api/providers');
    expect(providers.status).toBe(200);
    expect(providers.text).toContain('Gmail-1');
    expect(providers.text).not.toContain(SECRET);
    // The other two were not touched.
    for (const name of ['config-loader', 'token-refresher']) for (const p of await main.instances(name)) expect(p.pm2_env.restart_time).toBe(0);
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

  it('with PostgreSQL unreachable, says so naming DATABASE_URL (password masked), waits in-process, and starts once it answers', async () => {
    const db = await createTestDatabase('postgres');
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    noDatabase = { db, proxy };
    await proxy.cut();
    const password = `pg-${randomBytes(6).toString('hex')}`;
    const url = new URL(proxy.urlThrough(db.url));
    url.password = password;
    const d = await createPm2Deployment({ name: 'smoke-no-db', env: { DATABASE_URL: url.toString() } });
    noDatabase.deployment = d;
    noDatabase.start = await d.startInBackground(['config-loader']);
    const message = /Database at postgres:\/\/[^ ]*:\*\*\*@127\.0\.0\.1:\d+\/[^ ]* \(DATABASE_URL\) is not reachable/;
    const seen = await waitUntil(
      'the log says the database is not reachable',
      async () => {
        const p = await processNamed(d, 'config-loader');
        return p && message.test(d.logs(p)) ? p : undefined;
      },
      20_000,
    );
    expect(d.logs(seen)).toMatch(/Start PostgreSQL or set DATABASE_URL/);
    expect(d.logs(seen)).not.toContain(password);
    // The database comes back: the same process goes on and answers, no restart.
    await proxy.restore();
    await waitUntil('config-loader answers GET /health with 200', async () => (await d.health(d.ports['config-loader'])) === 200 || undefined, 30_000);
    const later = await processNamed(d, 'config-loader');
    expect(later?.pm2_env.restart_time).toBe(0);
    expect(d.logs(later as Pm2Process)).toContain('The database is reachable again; starting.');
  }, 90_000);
});

