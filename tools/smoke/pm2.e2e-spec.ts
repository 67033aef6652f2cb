import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePrometheusText } from '@flow-oauth/testing';
import { deleteRedisKeys } from '../redis-keys';

// The documented operations, end to end: ecosystem.config.js under a private pm2 daemon (never the
// machine's default one), the built dist, generated keys, the CLI, `pm2 restart`, and Redis down.

const ROOT = path.resolve(__dirname, '..', '..');
const PM2_BIN = path.join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const CLI = path.join(ROOT, 'tools', 'flow-oauth-cli.js');
const ECOSYSTEM = path.join(ROOT, 'ecosystem.config.js');
const APPS = ['config-loader', 'flow-oauth-server', 'token-refresher'] as const;
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SECRET = `smoke-secret-${randomBytes(8).toString('hex')}`;

interface Pm2Process {
  name: string;
  pm_id: number;
  pid: number;
  pm2_env: { status: string; restart_time: number; pm_uptime: number; pm_out_log_path: string; pm_err_log_path: string; NODE_APP_INSTANCE?: number };
}

/** Instance i of an app listens on its configured port + 100 × i (libs/shared/config, instancePort). */
const INSTANCE_PORT_STEP = 100;

interface Deployment {
  home: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  ports: Record<(typeof APPS)[number], number>;
}

/** The environment of a deployment: every variable of SPEC section 6 set, so no .env or shell value leaks in. */
async function deployment(root: string, name: string, overrides: Record<string, string> = {}): Promise<Deployment> {
  const home = path.join(root, `${name}-pm2`);
  const dataDir = path.join(root, `${name}-data`);
  fs.mkdirSync(home, { recursive: true });
  // The scaled-out instances of flow-oauth-server and token-refresher need port + 100 free too.
  const ports = { 'config-loader': await freePort(), 'flow-oauth-server': await freePort(INSTANCE_PORT_STEP), 'token-refresher': await freePort(INSTANCE_PORT_STEP) };
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(FLOW_|PM2_|DATABASE_URL$|REDIS_URL$|REFRESH_MARGIN_SECONDS$|\w+_PORT$)/.test(key)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PM2_HOME: home,
    FLOW_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${path.join(dataDir, 'flow.sqlite')}`,
    REDIS_URL,
    FLOW_QUEUE_PREFIX: `smoke-${randomBytes(4).toString('hex')}`,
    CONFIG_LOADER_PORT: String(ports['config-loader']),
    FLOW_OAUTH_PORT: String(ports['flow-oauth-server']),
    TOKEN_REFRESHER_PORT: String(ports['token-refresher']),
    FLOW_PUBLIC_URL: `http://localhost:${ports['flow-oauth-server']}`,
    // Empty means "not set": the processes generate the keys into FLOW_DATA_DIR on first start.
    FLOW_ADMIN_KEY: '',
    FLOW_SERVICE_KEY: '',
    FLOW_ENCRYPTION_KEY: '',
    FLOW_ENV: '',
    REFRESH_MARGIN_SECONDS: '',
    FLOW_ALLOWED_REDIRECT_ORIGINS: '',
    FLOW_MAX_CONFIG_BYTES: '',
    ...overrides,
  };
  return { home, dataDir, env, ports };
}

function pm2(d: Deployment, args: string[], timeoutMs = 120_000) {
  const result = spawnSync(process.execPath, [PM2_BIN, ...args], { cwd: ROOT, env: d.env, encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) throw new Error(`pm2 ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function jlist(d: Deployment): Pm2Process[] {
  const out = pm2(d, ['jlist']);
  return JSON.parse(out.slice(out.indexOf('['), out.lastIndexOf(']') + 1)) as Pm2Process[];
}

function processNamed(d: Deployment, name: string): Pm2Process | undefined {
  return jlist(d).find((p) => p.name === name);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, explain?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? ` (last error: ${String(last)})` : ''}${explain ? `\n${explain()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function status(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await response.arrayBuffer();
  return response.status;
}

async function allOnlineAndHealthy(d: Deployment, timeoutMs = 60_000): Promise<void> {
  const explain = () => describeProcesses(d);
  await waitFor('all three are online', () => APPS.every((name) => processNamed(d, name)?.pm2_env.status === 'online') || undefined, timeoutMs, explain);
  for (const name of APPS) {
    await waitFor(`${name} answers GET /health with 200`, async () => (await status(`http://127.0.0.1:${d.ports[name]}/health`)) === 200 || undefined, timeoutMs, explain);
  }
}

/** pm2's view of each process and its last log lines, for a failure message. */
function describeProcesses(d: Deployment): string {
  try {
    return jlist(d)
      .map((p) => {
        const tail = logsOf(p).split('\n').filter(Boolean).slice(-12).join('\n    ');
        return `${p.name}: ${p.pm2_env.status}, ${p.pm2_env.restart_time} restart(s)\n    ${tail}`;
      })
      .join('\n');
  } catch (error) {
    return `(pm2 jlist failed: ${String(error)})`;
  }
}

function adminKey(d: Deployment): string {
  const keys = JSON.parse(fs.readFileSync(path.join(d.dataDir, 'generated-keys.json'), 'utf8')) as { FLOW_ADMIN_KEY: string };
  return keys.FLOW_ADMIN_KEY;
}

async function api(d: Deployment, app: (typeof APPS)[number], method: string, route: string, body?: string) {
  const response = await fetch(`http://127.0.0.1:${d.ports[app]}${route}`, {
    method,
    headers: { appKey: adminKey(d), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function cli(d: Deployment, args: string[]) {
  // cwd is a folder without .env or data/: the CLI must find the admin key through FLOW_DATA_DIR.
  const result = spawnSync(process.execPath, [CLI, ...args, '--url', `http://127.0.0.1:${d.ports['config-loader']}`], {
    cwd: os.tmpdir(),
    env: d.env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}${result.stderr}` };
}

/** A free port; with `alsoFree`, one whose port + alsoFree is free as well. */
async function freePort(alsoFree?: number): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    if (alsoFree === undefined) return port;
    if (port + alsoFree <= 65_535 && (await listenOnce(port + alsoFree).then(() => true, () => false))) return port;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

function processesNamed(d: Deployment, name: string): Pm2Process[] {
  return jlist(d).filter((p) => p.name === name);
}

function logsOf(p: Pm2Process): string {
  return [p.pm2_env.pm_out_log_path, p.pm2_env.pm_err_log_path].map((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')).join('\n');
}

describe('pm2 deployment (ecosystem.config.js, built dist)', () => {
  let root: string;
  let main: Deployment;
  let noRedis: Deployment | undefined;
  let noRedisStart: ChildProcess | undefined;

  beforeAll(async () => {
    for (const app of APPS) {
      const script = path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
      if (!fs.existsSync(script)) throw new Error(`${path.relative(ROOT, script)} is missing: run \`npm run build\` first (npm test does).`);
    }
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-smoke-'));
    main = await deployment(root, 'main');
    pm2(main, ['start', ECOSYSTEM]);
  }, 150_000);

  afterAll(async () => {
    noRedisStart?.kill('SIGKILL');
    for (const d of [main, noRedis]) {
      if (!d) continue;
      spawnSync(process.execPath, [PM2_BIN, 'kill'], { cwd: ROOT, env: d.env, encoding: 'utf8', timeout: 60_000 });
      await deleteRedisKeys(REDIS_URL, String(d.env['FLOW_QUEUE_PREFIX']));
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('starts config-loader, flow-oauth-server and token-refresher online, each answering GET /health', async () => {
    await allOnlineAndHealthy(main);
    const names = jlist(main).map((p) => p.name).sort();
    expect(names).toEqual([...APPS].sort());
    expect(fs.existsSync(path.join(main.dataDir, 'generated-keys.json'))).toBe(true);
  }, 90_000);

  it('loads a provider with the generated admin key; reads redact the secret; flow-oauth-server serves it', async () => {
    const file = JSON.stringify({ google_gmail: { 'Gmail-1': { CLIENT_ID: 'smoke-client-id', CLIENT_SECRET: SECRET } } });
    const load = await api(main, 'config-loader', 'POST', '/api/oauth-configurations', file);
    expect(load.status).toBe(200);
    expect(load.json).toEqual({ applied: true, plan: { added: [{ type: 'google_gmail', provider: 'Gmail-1' }], updated: [], unchanged: [], conflicts: [] } });

    const read = await api(main, 'config-loader', 'GET', '/api/oauth-configurations');
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ google_gmail: { 'Gmail-1': { CLIENT_ID: 'smoke-client-id', CLIENT_SECRET: '********' } } });
    expect(read.text).not.toContain(SECRET);

    await waitFor(
      'flow-oauth-server lists Gmail-1',
      async () => {
        const providers = await api(main, 'flow-oauth-server', 'GET', '/api/providers');
        return providers.text.includes('Gmail-1') || undefined;
      },
      5_000,
    );
  }, 30_000);

  it('CLI: load --dry-run prints the plan table; an invalid file exits 1 naming each path; no secret is printed', () => {
    const dir = fs.mkdtempSync(path.join(root, 'cli-'));
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
    expect(await status(`http://localhost:${loader}/health`)).toBe(200);
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
    const key = adminKey(main);
    const res = await fetch(`http://127.0.0.1:${main.ports['config-loader']}/api/oauth-configurations/slack/Nope-1`, { method: 'DELETE', headers: { appKey: key, 'X-Request-Id': 'smoke-req-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('smoke-req-1');
    const access = await waitFor(
      'the access line is in the pm2 log',
      () => {
        const lines = logsOf(processNamed(main, 'config-loader') as Pm2Process).split('\n').filter((l) => l.startsWith('{'));
        return lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['reqId'] === 'smoke-req-1');
      },
      5_000,
    );
    expect(access).toMatchObject({ level: 'info', app: 'config-loader', method: 'DELETE', route: '/api/oauth-configurations/:type/:provider', path: '/api/oauth-configurations/slack/Nope-1', statusCode: 404 });
    for (const p of jlist(main)) {
      expect(logsOf(p)).not.toContain(key);
      // Every line a process logged is JSON (stdout; stderr is left to Node's own warnings and crashes).
      for (const line of fs.readFileSync(p.pm2_env.pm_out_log_path, 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    }
  }, 30_000);

  it('pm2 scale gives every instance its own port (+100 each) answering /health and /metrics: token-refresher and flow-oauth-server at 2', async () => {
    for (const name of ['token-refresher', 'flow-oauth-server'] as const) {
      pm2(main, ['scale', name, '2']);
      await waitFor(`two ${name} instances online`, () => {
        const list = processesNamed(main, name);
        return (list.length === 2 && list.every((p) => p.pm2_env.status === 'online')) || undefined;
      }, 60_000, () => describeProcesses(main));
      const list = processesNamed(main, name);
      expect(list.map((p) => p.pm2_env.NODE_APP_INSTANCE).sort()).toEqual([0, 1]);
      expect(new Set(list.map((p) => p.pid)).size).toBe(2);
      const ports = [main.ports[name], main.ports[name] + INSTANCE_PORT_STEP];
      for (const port of ports) {
        await waitFor(`${name} on port ${port} answers GET /health with 200`, async () => (await status(`http://127.0.0.1:${port}/health`)) === 200 || undefined, 30_000, () => describeProcesses(main));
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
        const metrics = parsePrometheusText(await res.text());
        expect(res.status).toBe(200);
        expect(metrics.find('process_start_time_seconds', { app: name })).toHaveLength(1);
        if (name === 'token-refresher') expect(metrics.find('flow_queue_jobs', { queue: 'token-refresh', state: 'delayed' })).toHaveLength(1);
        else expect(metrics.types.get('flow_http_request_duration_seconds')).toBe('histogram');
      }
      // Neither instance crashed on a taken port.
      for (const p of processesNamed(main, name)) expect(p.pm2_env.restart_time).toBe(0);
    }
    // The second flow-oauth-server serves the loaded provider as the first does.
    const second = await fetch(`http://127.0.0.1:${main.ports['flow-oauth-server'] + INSTANCE_PORT_STEP}/api/providers`, { headers: { appKey: adminKey(main) } });
    expect(await second.text()).toContain('Gmail-1');
  }, 150_000);

  it('pm2 restart flow-oauth-server brings it back online and healthy, still serving the loaded provider', async () => {
    const before = processesNamed(main, 'flow-oauth-server');
    expect(before.length).toBeGreaterThanOrEqual(1);
    pm2(main, ['restart', 'flow-oauth-server']);
    await waitFor(
      'every flow-oauth-server instance restarted and online',
      () => {
        const now = processesNamed(main, 'flow-oauth-server');
        return (now.length === before.length && now.every((p) => p.pm2_env.status === 'online' && p.pm2_env.restart_time > 0)) || undefined;
      },
      60_000,
    );
    await allOnlineAndHealthy(main);
    // Each instance is back on its own port (instances keep their NODE_APP_INSTANCE across restarts).
    for (const p of processesNamed(main, 'flow-oauth-server')) {
      const port = main.ports['flow-oauth-server'] + INSTANCE_PORT_STEP * (p.pm2_env.NODE_APP_INSTANCE ?? 0);
      await waitFor(`flow-oauth-server instance ${p.pm2_env.NODE_APP_INSTANCE} healthy on ${port}`, async () => (await status(`http://127.0.0.1:${port}/health`)) === 200 || undefined, 30_000);
    }
    const providers = await api(main, 'flow-oauth-server', 'GET', '/api/providers');
    expect(providers.status).toBe(200);
    expect(providers.text).toContain('Gmail-1');
    expect(providers.text).not.toContain(SECRET);
    // The other two were not touched.
    for (const name of ['config-loader', 'token-refresher']) for (const p of processesNamed(main, name)) expect(p.pm2_env.restart_time).toBe(0);
  }, 90_000);

  it('with Redis unreachable, says so clearly in the pm2 log within seconds and does not restart-loop', async () => {
    noRedis = await deployment(root, 'no-redis', { REDIS_URL: 'redis://127.0.0.1:1' });
    const d = noRedis;
    pm2(d, ['ping']); // start the daemon first, so the start below and our polling never race to spawn two
    // pm2 start waits (listen_timeout) for a ready signal that cannot come: do not wait for it.
    noRedisStart = spawn(process.execPath, [PM2_BIN, 'start', ECOSYSTEM, '--only', 'config-loader'], { cwd: ROOT, env: d.env, stdio: 'ignore' });
    const started = Date.now();
    const message = /Redis at redis:\/\/127\.0\.0\.1:1\/? is not reachable/;
    const seen = await waitFor(
      'the log says Redis is not reachable',
      () => {
        const p = processNamed(d, 'config-loader');
        return p && message.test(logsOf(p)) ? p : undefined;
      },
      20_000,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(logsOf(seen)).toMatch(/Start Redis or set REDIS_URL/);
    // Several retry periods later: still the same process, waiting, not a crash loop.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const later = processNamed(d, 'config-loader');
    expect(later?.pm2_env.restart_time).toBeLessThanOrEqual(1);
    expect(['launching', 'online']).toContain(later?.pm2_env.status);
    expect(logsOf(later as Pm2Process).match(new RegExp(message.source, 'g'))?.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

