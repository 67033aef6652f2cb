import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INSTANCE_PORT_STEP } from '@flow-oauth/config';
import { type ApiAnswer, callApi, freeLoopbackPort, TEST_REDIS_URL } from '@flow-oauth/testing';
import { deleteRedisKeys } from './redis-keys';

// A deployment as an operator runs it: ecosystem.config.js started by the repository's pm2, from the
// built dist/, under a private pm2 daemon (PM2_HOME of its own, never the machine's default one)
// with every variable of SPEC section 6 set, so no .env or shell value leaks in. Every pm2 call is
// asynchronous: a test's own proxies and pollers run in the test process and must keep running
// while pm2 stops or restarts a process (a graceful stop waits for them).

const ROOT = path.resolve(__dirname, '..');
const PM2_BIN = path.join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const ECOSYSTEM = path.join(ROOT, 'ecosystem.config.js');

/** How often a wait asks pm2 (`pm2 jlist` starts a Node process: about 0.2 s of CPU each). */
export const PM2_POLL_MS = 1000;

/** The pm2 names of SPEC section 1. */
export const FLOW_APPS = ['config-loader', 'flow-oauth-server', 'token-refresher'] as const;
export type FlowAppName = (typeof FLOW_APPS)[number];

/** What `pm2 jlist` says of one process. */
export interface Pm2Process {
  name: string;
  pm_id: number;
  pid: number;
  pm2_env: { status: string; restart_time: number; pm_uptime: number; pm_out_log_path: string; pm_err_log_path: string; NODE_APP_INSTANCE?: number };
}

export interface Pm2DeploymentOptions {
  /** Names the deployment's folders and its Redis prefix. */
  name: string;
  /** Parent folder (default: a new temp folder, removed by destroy()). */
  root?: string;
  /** Variables over the defaults, e.g. DATABASE_URL through a proxy, REDIS_URL, REFRESH_MARGIN_SECONDS. */
  env?: Record<string, string>;
  /** False when REDIS_URL is a private redis-server: destroy() then leaves its keys to it. Default true. */
  sharedRedis?: boolean;
}

export interface Pm2Deployment {
  name: string;
  /** PM2_HOME of the private daemon. */
  home: string;
  /** FLOW_DATA_DIR: generated keys, and the SQLite file unless DATABASE_URL says otherwise. */
  dataDir: string;
  env: NodeJS.ProcessEnv;
  ports: Record<FlowAppName, number>;
  /** `http://127.0.0.1:<port>` of an app (its first instance). */
  url(app: FlowAppName): string;
  /** Runs the pm2 CLI against this deployment's daemon; rejects on a non-zero exit. */
  pm2(args: string[], timeoutMs?: number): Promise<string>;
  /** `pm2 start ecosystem.config.js [--only ...]`. */
  start(apps?: readonly FlowAppName[]): Promise<void>;
  /** The same start without waiting for it (pm2 waits for a ready signal that may never come, e.g. without Redis). */
  startInBackground(apps?: readonly FlowAppName[]): Promise<ChildProcess>;
  /** Starts one more process of an app under another pm2 name, with the ecosystem's settings and extra variables (e.g. its own port). */
  startCopy(app: FlowAppName, name: string, env: Record<string, string>): Promise<void>;
  /** `pm2 jlist`. */
  list(): Promise<Pm2Process[]>;
  /** Every pm2 process of that name (several after `pm2 scale`). */
  instances(name: string): Promise<Pm2Process[]>;
  /** Waits until every given app is online and answers GET /health with 200. */
  waitHealthy(apps?: readonly FlowAppName[], timeoutMs?: number): Promise<void>;
  /** kill -9 of every process of that pm2 name (pm2 then restarts them); returns the pids killed. */
  kill9(name: string): Promise<number[]>;
  /** `pm2 stop <name>` (pm2 sends SIGINT and waits up to kill_timeout). */
  stop(name: string): Promise<void>;
  /** `pm2 restart <name>`. */
  restart(name: string): Promise<void>;
  /** `pm2 scale <name> <n>`. */
  scale(name: string, instances: number): Promise<void>;
  /** The status of GET /health on a port. */
  health(port: number): Promise<number>;
  /** The admin and service keys the processes generated on their first start. */
  keys(): { admin: string; service: string };
  /** Calls an app's HTTP API (admin key unless another key, or null for none, is given). */
  api(app: FlowAppName, method: string, route: string, body?: unknown, key?: string | null): Promise<ApiAnswer>;
  /** Out and error log of a process. */
  logs(process: Pm2Process): string;
  /** pm2's view of each process and its last log lines, for a failure message. */
  describe(): Promise<string>;
  /** Kills the daemon and its processes, removes the folders and the deployment's Redis keys. */
  destroy(): Promise<void>;
}

/** Throws with the command to run when dist/ has not been built. */
export function assertDistBuilt(apps: readonly FlowAppName[] = FLOW_APPS): void {
  for (const app of apps) {
    const script = path.join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
    if (!fs.existsSync(script)) throw new Error(`${path.relative(ROOT, script)} is missing: run \`npm run build\` first (npm test does).`);
  }
}

/** Prepares a deployment (folders, free ports, environment); nothing runs until start(). */
export async function createPm2Deployment(options: Pm2DeploymentOptions): Promise<Pm2Deployment> {
  const ownRoot = options.root === undefined;
  const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), `flow-${options.name}-`));
  const home = path.join(root, `${options.name}-pm2`);
  const dataDir = path.join(root, `${options.name}-data`);
  fs.mkdirSync(home, { recursive: true });
  // pm2 scale: instance i listens on port + 100 × i, so the second instance's port must be free too.
  const ports = {
    'config-loader': await freeLoopbackPort(),
    'flow-oauth-server': await freeLoopbackPort(INSTANCE_PORT_STEP),
    'token-refresher': await freeLoopbackPort(INSTANCE_PORT_STEP),
  };
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(FLOW_|PM2_|DATABASE_URL$|REDIS_URL$|REFRESH_|\w+_PORT$)/.test(key)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PM2_HOME: home,
    FLOW_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${path.join(dataDir, 'flow.sqlite')}`,
    REDIS_URL: TEST_REDIS_URL,
    FLOW_QUEUE_PREFIX: `${options.name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24)}-${randomBytes(4).toString('hex')}`,
    CONFIG_LOADER_PORT: String(ports['config-loader']),
    FLOW_OAUTH_PORT: String(ports['flow-oauth-server']),
    TOKEN_REFRESHER_PORT: String(ports['token-refresher']),
    FLOW_PUBLIC_URL: `http://127.0.0.1:${ports['flow-oauth-server']}`,
    // Empty means "not set": the processes generate the keys into FLOW_DATA_DIR on first start.
    FLOW_ADMIN_KEY: '',
    FLOW_SERVICE_KEY: '',
    FLOW_ENCRYPTION_KEY: '',
    FLOW_ENV: '',
    REFRESH_MARGIN_SECONDS: '',
    FLOW_ALLOWED_REDIRECT_ORIGINS: '',
    FLOW_MAX_CONFIG_BYTES: '',
    ...options.env,
  };

  const pm2 = (args: string[], timeoutMs = 120_000, extraEnv: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [PM2_BIN, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else reject(new Error(`pm2 ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
      });
    });
  const list = async (): Promise<Pm2Process[]> => {
    const out = await pm2(['jlist']);
    return JSON.parse(out.slice(out.indexOf('['), out.lastIndexOf(']') + 1)) as Pm2Process[];
  };
  const logs = (p: Pm2Process) =>
    [p.pm2_env.pm_out_log_path, p.pm2_env.pm_err_log_path].map((file) => (file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')).join('\n');
  const describe = async () => {
    try {
      return (await list())
        .map((p) => {
          const tail = logs(p).split('\n').filter(Boolean).slice(-12).join('\n    ');
          return `${p.name} (pm2 id ${p.pm_id}, pid ${p.pid}): ${p.pm2_env.status}, ${p.pm2_env.restart_time} restart(s)\n    ${tail}`;
        })
        .join('\n');
    } catch (error) {
      return `(pm2 jlist failed: ${String(error)})`;
    }
  };
  const url = (app: FlowAppName) => `http://127.0.0.1:${ports[app]}`;
  const keys = () => {
    const generated = JSON.parse(fs.readFileSync(path.join(dataDir, 'generated-keys.json'), 'utf8')) as { FLOW_ADMIN_KEY: string; FLOW_SERVICE_KEY: string };
    return { admin: env['FLOW_ADMIN_KEY'] || generated.FLOW_ADMIN_KEY, service: env['FLOW_SERVICE_KEY'] || generated.FLOW_SERVICE_KEY };
  };

  const deployment: Pm2Deployment = {
    name: options.name,
    home,
    dataDir,
    env,
    ports,
    url,
    pm2,
    async start(apps) {
      // Start the daemon first, so a start and a poll never race to spawn two.
      await pm2(['ping']);
      await pm2(['start', ECOSYSTEM, ...(apps ? ['--only', apps.join(',')] : [])]);
    },
    async startInBackground(apps) {
      await pm2(['ping']);
      return spawn(process.execPath, [PM2_BIN, 'start', ECOSYSTEM, ...(apps ? ['--only', apps.join(',')] : [])], { cwd: ROOT, env, stdio: 'ignore' });
    },
    async startCopy(app, name, extraEnv) {
      const file = path.join(home, `${name}.ecosystem.config.js`);
      const source = `const base = require(${JSON.stringify(ECOSYSTEM)}).apps.find((a) => a.name === ${JSON.stringify(app)});\n` + `module.exports = { apps: [{ ...base, name: ${JSON.stringify(name)} }] };\n`;
      fs.writeFileSync(file, source);
      await pm2(['start', file], 120_000, extraEnv);
    },
    list,
    instances: async (name) => (await list()).filter((p) => p.name === name),
    async waitHealthy(apps = FLOW_APPS, timeoutMs = 90_000) {
      await waitUntil(
        `${apps.join(', ')} online`,
        async () => {
          const processes = await list();
          return apps.every((name) => processes.some((p) => p.name === name && p.pm2_env.status === 'online')) || undefined;
        },
        timeoutMs,
        describe,
        PM2_POLL_MS,
      );
      for (const app of apps) {
        await waitUntil(`${app} answers GET /health with 200`, async () => (await deployment.health(ports[app])) === 200 || undefined, timeoutMs, describe);
      }
    },
    async kill9(name) {
      const pids = (await list())
        .filter((p) => p.name === name && p.pid > 0)
        .map((p) => p.pid);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      return pids;
    },
    stop: async (name) => void (await pm2(['stop', name])),
    restart: async (name) => void (await pm2(['restart', name])),
    scale: async (name, n) => void (await pm2(['scale', name, String(n)])),
    async health(port) {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
      await response.arrayBuffer();
      return response.status;
    },
    keys,
    api: (app, method, route, body, key) => callApi(url(app), method, route, { key: key === undefined ? keys().admin : key, body }),
    logs,
    describe,
    async destroy() {
      await pm2(['kill'], 60_000).catch(() => undefined);
      // A private redis-server is thrown away whole by its owner; the shared one keeps nothing of ours.
      if (options.sharedRedis !== false) await deleteRedisKeys(String(env['REDIS_URL']), String(env['FLOW_QUEUE_PREFIX']));
      fs.rmSync(ownRoot ? root : path.join(root, `${options.name}-pm2`), { recursive: true, force: true });
      if (!ownRoot) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return deployment;
}

/**
 * Polls `probe` every `everyMs` until it returns something other than undefined/false; the error
 * names `what`. Probes that run the pm2 CLI cost a Node start each: poll those every second.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  explain?: () => string | Promise<string>,
  everyMs = 250,
): Promise<T> {
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
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? ` (last error: ${String(last)})` : ''}${explain ? `\n${await explain()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** TCP ports a process listens on (Linux: its socket inodes matched against /proc/net/tcp{,6}); empty elsewhere or when it is gone. */
export function listeningPorts(pid: number): number[] {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return [];
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; st 0A is LISTEN; the inode is the tenth field.
      if (fields.length > 9 && fields[3] === '0A' && inodes.has(fields[9])) ports.add(parseInt(fields[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}
