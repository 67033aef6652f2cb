import * as path from 'node:path';
import { RETURN_PATH } from '@flow-oauth/config';
import {
  type ApiAnswer,
  createTestDatabase,
  type HttpFaultProxy,
  HttpSession,
  openStartLink,
  pageText,
  type OidcTestServer,
  type PrivateRedis,
  startHttpFaultProxy,
  startOidcTestServer,
  startPrivateRedis,
  startTcpProxy,
  type TcpProxy,
  TEST_POSTGRES_URL,
  type TestDatabase,
} from '@flow-oauth/testing';
import { assertDistBuilt, createPm2Deployment, FLOW_APPS, type FlowAppName, type Pm2Deployment, waitUntil } from '../pm2-deployment';

// One fault scenario's world, all of it real and all of it its own: the three apps from dist/ under a
// private pm2 daemon, a private redis-server behind a cuttable TCP proxy, SQLite (a file in the
// deployment's data dir) or a fresh PostgreSQL database behind a cuttable TCP proxy, and a real
// oidc-provider with rotating refresh tokens and short-lived access tokens behind an HTTP fault
// proxy on its token endpoint. Connectors are made as users make them: through the product's API
// and the provider's sign-in pages.

export const PROVIDER_TYPE = 'odata';
export const PROVIDER_NAME = 'OIDC-Faults';
const CLIENT_ID = 'faults-client';
/** Attempts per sign-in of the rig's setup (see signIn). */
const SIGN_IN_TRIES = 3;
/** Slack of the "overdue" test: a connector whose refresh is this late is not healthy. */
const OVERDUE_SLACK_MS = 5_000;

export interface FaultRigOptions {
  /** Names the scenario in folders, Redis prefix and report lines. */
  name: string;
  database: 'sqlite' | 'postgres';
  /** Access-token lifetime at the provider (short: every connector comes due again within it). */
  accessTokenTtlSeconds: number;
  /** REFRESH_MARGIN_SECONDS of the apps (default: a third of the lifetime, so a refresh is due 2/3 into it). */
  marginSeconds?: number;
  /** Apps started by start() (default: all three). */
  apps?: readonly FlowAppName[];
  /** More variables for the three apps. */
  env?: Record<string, string>;
}

/** A connector the rig made, and the provider account it signed in as. */
export interface RigConnector {
  id: string;
  label: string;
  account: string;
}

/** A connector as GET /api/connectors shows it (the fields the rig reads). */
export interface ConnectorState {
  id: string;
  label: string;
  status: string;
  expiresAt: string | null;
  lastError: string | null;
}

/** One answer of the token API, and when it was served. */
export interface ServedToken {
  id: string;
  status: number;
  /** The error code of a non-200 answer. */
  error?: string;
  /** expires_at of a 200 answer (ms). */
  expiresAt?: number;
  sentAt: number;
  servedAt: number;
}

/** What the token API answered while a poller ran. */
export interface TokenServeLog {
  answers: ServedToken[];
  /** 200 answers whose token had expired when it was served. */
  expired: ServedToken[];
  /** Non-200 answers by `status error`. */
  failures: Record<string, number>;
  /** Longest time one answer took (ms). */
  slowestMs: number;
}

/** How the connectors ended up after a fault (see FaultRig.settle). */
export interface Settled {
  outcome: 'healed' | 'broken' | 'timeout';
  /** From `since` until every connector was healthy (healed only). */
  healedAfterMs?: number;
  states: ConnectorState[];
}

export interface FaultRig {
  name: string;
  deployment: Pm2Deployment;
  oidc: OidcTestServer;
  /** In front of the provider's token endpoint: the product's provider settings point at it. */
  tokenProxy: HttpFaultProxy;
  redis: PrivateRedis;
  redisProxy: TcpProxy;
  /** PostgreSQL through a cuttable proxy (postgres scenarios only). */
  databaseProxy?: TcpProxy;
  /** The SQLite file (sqlite scenarios only). */
  sqliteFile?: string;
  ttlMs: number;
  /** How long before expiry a refresh is due. */
  dueBeforeExpiryMs: number;
  clientSecret: string;
  userKey: string;
  connectors: RigConnector[];
  /** Signs `count` new connectors in through the API and the provider's pages (a few at a time). */
  signIn(count: number): Promise<RigConnector[]>;
  /** The connectors as the API lists them now. */
  states(): Promise<ConnectorState[]>;
  /** Loads the provider again with another client secret (a secret-only change, allowed while connectors use it). */
  loadSecret(secret: string): Promise<ApiAnswer>;
  /** Polls the token API for each connector, one request after the other per connector, until stopped. */
  pollTokens(ids: string[], pauseMs?: number): { stop(): Promise<TokenServeLog> };
  /**
   * Polls GET /health of each app every `pauseMs` until stopped: the slowest answer of each is how
   * long its event loop was frozen at worst (a process stuck in a synchronous wait answers nothing).
   */
  pollHealth(apps: readonly FlowAppName[], pauseMs?: number): { stop(): Promise<Record<string, number>> };
  /**
   * Waits until every connector (but `except`) is active, none is overdue (its refresh more than a
   * few seconds late) and every one that was already due when the wait began has been refreshed
   * since `since`: `healed`, with the time from `since`; or until one needs re-authorization
   * (`broken`: it will not heal by itself); or `timeout`.
   */
  settle(since: number, timeoutMs: number, except?: string[]): Promise<Settled>;
  /** Waits until every given connector holds a newer token than when the wait began; lists those that do not when one breaks or time runs out. */
  refreshedAfter(ids: string[], since: number, timeoutMs: number): Promise<{ afterMs?: number; notRefreshed: ConnectorState[] }>;
  /** Refresh grants the provider answered with invalid_grant since a time: each one is a burned or revoked refresh token. */
  invalidGrants(since?: number): number;
  /** One line in the test output: `[faults] <name>: <text>`. */
  report(text: string): void;
  /**
   * For a failed scenario: the timeline of every connector that is not active or whose refresh was
   * refused (its grants at the provider, what the processes logged about it) and every refresh
   * token the provider saw more than once (by hash), so a burned token shows who sent it when.
   */
  diagnose(): Promise<string>;
  destroy(): Promise<void>;
}

/** Builds and starts a scenario's world; throws (after cleaning up) if any part does not come up. */
export async function startFaultRig(options: FaultRigOptions): Promise<FaultRig> {
  assertDistBuilt();
  const startedAt = Date.now();
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const redisProxy = await startTcpProxy({ targetHost: '127.0.0.1', targetPort: redis.port });
    cleanups.push(() => redisProxy.stop());

    let database: TestDatabase | undefined;
    let databaseProxy: TcpProxy | undefined;
    const marginSeconds = options.marginSeconds ?? Math.floor(options.accessTokenTtlSeconds / 3);
    const env: Record<string, string> = { REDIS_URL: redisProxy.urlThrough(redis.url), REFRESH_MARGIN_SECONDS: String(marginSeconds), ...options.env };
    if (options.database === 'postgres') {
      database = await createTestDatabase('postgres');
      const db = database;
      cleanups.push(() => db.drop());
      const server = new URL(TEST_POSTGRES_URL);
      databaseProxy = await startTcpProxy({ targetHost: server.hostname, targetPort: Number(server.port || 5432) });
      const dbProxy = databaseProxy;
      cleanups.push(() => dbProxy.stop());
      env['DATABASE_URL'] = databaseProxy.urlThrough(database.url);
    }

    const deployment = await createPm2Deployment({ name: options.name, env, sharedRedis: false });
    cleanups.push(() => deployment.destroy());
    const sqliteFile = options.database === 'sqlite' ? path.join(deployment.dataDir, 'flow.sqlite') : undefined;
    const clientSecret = `faults-secret-${options.name}-Zq81`;
    const oidc = await startOidcTestServer({
      clients: [
        {
          clientId: CLIENT_ID,
          clientSecret,
          redirectUris: [`${deployment.env['FLOW_PUBLIC_URL']}${RETURN_PATH}`],
          tokenEndpointAuthMethod: 'client_secret_basic',
          rotateRefreshToken: true,
        },
      ],
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    });
    cleanups.push(() => oidc.stop());
    const tokenProxy = await startHttpFaultProxy(oidc.issuer);
    cleanups.push(() => tokenProxy.stop());

    const apps = options.apps ?? FLOW_APPS;
    await deployment.start(apps);
    await deployment.waitHealthy(apps);

    const providerFile = (secret: string) => ({
      [PROVIDER_TYPE]: {
        [PROVIDER_NAME]: {
          CLIENT_ID,
          CLIENT_SECRET: secret,
          oauth2_auth_url: oidc.authorizationEndpoint,
          oauth2_token_url: `${tokenProxy.url}${new URL(oidc.tokenEndpoint).pathname}`,
          oauth2_client_auth: 'client_secret_basic',
          oauth2_params_scope: ['{"openid":"OpenID"}', '{"offline_access":"Offline access"}'],
        },
      },
    });
    const loaded = await deployment.api('config-loader', 'POST', '/api/oauth-configurations', providerFile(clientSecret));
    if (loaded.status !== 200) throw new Error(`loading the provider answered ${loaded.status}: ${loaded.text}`);
    const user = await deployment.api('config-loader', 'POST', '/api/users', { name: 'fault-user' });
    if (user.status !== 201 && user.status !== 200) throw new Error(`creating the user answered ${user.status}: ${user.text}`);
    const userKey = user.json.key as string;
    await waitUntil(
      'flow-oauth-server lists the provider',
      async () => (await deployment.api('flow-oauth-server', 'GET', '/api/providers', undefined, userKey)).text.includes(PROVIDER_NAME) || undefined,
      30_000,
    );

    const ttlMs = options.accessTokenTtlSeconds * 1000;
    // When a token is due: expires_at - margin, or half its life when that is earlier (SPEC section 4).
    const dueBeforeExpiryMs = Math.min(marginSeconds * 1000, ttlMs / 2);
    const connectors: RigConnector[] = [];
    const signInRetries: string[] = [];
    let counter = 0;

    const signInOne = async (): Promise<RigConnector> => {
      counter += 1;
      const label = `F${counter}`;
      const account = `${options.name}-${label}`;
      const start = await deployment.api('flow-oauth-server', 'POST', '/api/connectors/authorizations', { type: PROVIDER_TYPE, provider: PROVIDER_NAME, label }, userKey);
      if (start.status !== 201) throw new Error(`starting the sign-in of ${label} answered ${start.status}: ${start.text}`);
      // One browser from the start link (confirmation page, binding cookie) through the provider's pages to the return page.
      const browser = new HttpSession();
      const { providerUrl } = await openStartLink(browser, start.json.authorizeUrl as string);
      const back = await oidc.completeAuthorization(providerUrl, { login: account });
      const page = await browser.request('GET', back);
      if (page.status !== 200) throw new Error(`the return page of ${label} answered ${page.status}: ${pageText(page.body)}`);
      const list = await deployment.api('flow-oauth-server', 'GET', '/api/connectors', undefined, userKey);
      const found = (list.json as ConnectorState[]).find((c) => c.label === label);
      if (!found) throw new Error(`connector ${label} is not listed after its sign-in`);
      return { id: found.id, label, account };
    };

    const states = async (): Promise<ConnectorState[]> => {
      const list = await deployment.api('flow-oauth-server', 'GET', '/api/connectors');
      if (list.status !== 200) throw new Error(`GET /api/connectors answered ${list.status}`);
      return list.json as ConnectorState[];
    };

    const overdue = (c: ConnectorState, now: number) => c.expiresAt !== null && now > Date.parse(c.expiresAt) - dueBeforeExpiryMs + OVERDUE_SLACK_MS;

    const rig: FaultRig = {
      name: options.name,
      deployment,
      oidc,
      tokenProxy,
      redis,
      redisProxy,
      databaseProxy,
      sqliteFile,
      ttlMs,
      dueBeforeExpiryMs,
      clientSecret,
      userKey,
      connectors,
      async signIn(count) {
        const made: RigConnector[] = [];
        let started = 0;
        // A sign-in the product answered 503 ("try again": the provider or Redis did not answer in
        // time on a starved machine) is tried again as a user would; the causes are reported.
        const attempt = async (): Promise<RigConnector> => {
          for (let tries = 1; ; tries += 1) {
            try {
              return await signInOne();
            } catch (error) {
              const message = (error as Error).message;
              if (tries >= SIGN_IN_TRIES || !/answered 503/.test(message)) throw error;
              signInRetries.push(message.slice(0, 160));
            }
          }
        };
        const workers = Array.from({ length: Math.min(6, count) }, async () => {
          while (started < count) {
            started += 1;
            made.push(await attempt());
          }
        });
        await Promise.all(workers);
        connectors.push(...made);
        return made;
      },
      states,
      loadSecret: (secret) => deployment.api('config-loader', 'POST', '/api/oauth-configurations', providerFile(secret)),
      pollTokens(ids, pauseMs = 500) {
        const answers: ServedToken[] = [];
        let running = true;
        const service = deployment.keys().service;
        const loops = ids.map(async (id) => {
          while (running) {
            const sentAt = Date.now();
            try {
              const answer = await deployment.api('flow-oauth-server', 'GET', `/api/connectors/${id}/token`, undefined, service);
              const servedAt = Date.now();
              answers.push(
                answer.status === 200
                  ? { id, status: 200, expiresAt: Date.parse(answer.json.expires_at as string), sentAt, servedAt }
                  : { id, status: answer.status, error: (answer.json?.error as string | undefined) ?? 'no_json', sentAt, servedAt },
              );
            } catch (error) {
              answers.push({ id, status: 0, error: `network: ${(error as Error).message}`, sentAt, servedAt: Date.now() });
            }
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        });
        return {
          async stop() {
            running = false;
            await Promise.all(loops);
            const failures: Record<string, number> = {};
            for (const a of answers) if (a.status !== 200) failures[`${a.status} ${a.error}`] = (failures[`${a.status} ${a.error}`] ?? 0) + 1;
            return {
              answers,
              expired: answers.filter((a) => a.status === 200 && (a.expiresAt === undefined || Number.isNaN(a.expiresAt) || a.expiresAt <= a.servedAt)),
              failures,
              slowestMs: Math.max(0, ...answers.map((a) => a.servedAt - a.sentAt)),
            };
          },
        };
      },
      pollHealth(apps, pauseMs = 250) {
        const slowest: Record<string, number> = Object.fromEntries(apps.map((app) => [app, 0]));
        let running = true;
        const loops = apps.map(async (app) => {
          while (running) {
            const sentAt = Date.now();
            await fetch(`${deployment.url(app)}/health`, { signal: AbortSignal.timeout(60_000) })
              .then((res) => res.arrayBuffer())
              .catch(() => undefined);
            slowest[app] = Math.max(slowest[app], Date.now() - sentAt);
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        });
        return {
          async stop() {
            running = false;
            await Promise.all(loops);
            return slowest;
          },
        };
      },
      async settle(since, timeoutMs, except = []) {
        const deadline = Date.now() + timeoutMs;
        // Connectors already due when the wait starts must have been refreshed since, not merely be "not late yet".
        let dueAtStart: Map<string, number> | undefined;
        const refreshedSince = (c: ConnectorState) => c.expiresAt !== null && Date.parse(c.expiresAt) > (dueAtStart?.get(c.id) ?? Infinity);
        for (;;) {
          const now = Date.now();
          const current = await states().catch(() => undefined);
          if (current) {
            const watched = current.filter((c) => !except.includes(c.id));
            dueAtStart ??= new Map(watched.filter((c) => c.expiresAt !== null && now >= Date.parse(c.expiresAt) - dueBeforeExpiryMs).map((c) => [c.id, Date.parse(c.expiresAt as string)]));
            const due = dueAtStart;
            if (watched.some((c) => c.status === 'needs_reauth')) return { outcome: 'broken', states: watched };
            const healthy = (c: ConnectorState) => c.status === 'active' && !overdue(c, now) && (!due.has(c.id) || refreshedSince(c));
            if (watched.length > 0 && watched.every(healthy)) return { outcome: 'healed', healedAfterMs: now - since, states: watched };
            if (now > deadline) return { outcome: 'timeout', states: watched };
          } else if (now > deadline) {
            return { outcome: 'timeout', states: [] };
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
      async refreshedAfter(ids, since, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        // Refreshed since: a token that expires later than the one held when the wait began.
        let held: Map<string, number> | undefined;
        const fresh = (c: ConnectorState) => c.expiresAt !== null && Date.parse(c.expiresAt) > (held?.get(c.id) ?? Infinity);
        for (;;) {
          const now = Date.now();
          const current = (await states().catch(() => [] as ConnectorState[])).filter((c) => ids.includes(c.id));
          held ??= new Map(current.map((c) => [c.id, c.expiresAt === null ? -Infinity : Date.parse(c.expiresAt)]));
          const missing = current.filter((c) => !fresh(c));
          if (current.length === ids.length && missing.length === 0) return { afterMs: now - since, notRefreshed: [] };
          if (missing.some((c) => c.status === 'needs_reauth') || now > deadline) return { notRefreshed: missing };
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
      invalidGrants(since = 0) {
        return tokenProxy.count((e) => e.outcome === 'forwarded' && e.grantType === 'refresh_token' && e.error === 'invalid_grant' && e.at >= since);
      },
      report(text) {
        const retried = signInRetries.length === 0 ? '' : `; setup: ${signInRetries.length} sign-in(s) tried again (first: ${signInRetries[0]})`;
        console.log(`[faults] ${options.name}: ${text}${retried}`);
      },
      async diagnose() {
        const at = (ms: number) => `+${((ms - startedAt) / 1000).toFixed(1)} s`;
        const current = await states().catch(() => [] as ConnectorState[]);
        const grants = await oidc.grants().catch(() => []);
        const refused = new Set(grants.filter((g) => g.grantType === 'refresh_token' && g.outcome !== 'ok').map((g) => g.account));
        const processes = await deployment.list().catch(() => []);
        const logLines = processes.flatMap((p) =>
          deployment
            .logs(p)
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => {
              try {
                const entry = JSON.parse(line) as { time: string; msg: string; level: string };
                return { at: Date.parse(entry.time), level: entry.level, text: `${p.name}#${p.pm2_env.NODE_APP_INSTANCE ?? 0}(${p.pid}) ${entry.msg}` };
              } catch {
                return undefined;
              }
            })
            .filter((entry): entry is { at: number; level: string; text: string } => entry !== undefined),
        );
        const lines: string[] = [`diagnosis of ${options.name} (times from the rig's start):`];
        for (const c of connectors) {
          const state = current.find((s) => s.id === c.id);
          if (state?.status === 'active' && !refused.has(c.account)) continue;
          lines.push(`  ${c.label} ${c.id} (${c.account}): ${state ? `${state.status}${state.lastError ? `, ${state.lastError}` : ''}` : 'not listed'}`);
          const events = [
            ...grants.filter((g) => g.account === c.account).map((g) => ({ at: g.at, text: `provider: ${g.grantType} ${g.outcome}` })),
            ...logLines.filter((l) => l.text.includes(c.id)),
          ].sort((a, b) => a.at - b.at);
          for (const e of events) lines.push(`    ${at(e.at)} ${e.text}`);
        }
        const byHash = new Map<string, typeof tokenProxy.exchanges[number][]>();
        for (const e of tokenProxy.exchanges) if (e.tokenHash) byHash.set(e.tokenHash, [...(byHash.get(e.tokenHash) ?? []), e]);
        for (const [hash, uses] of byHash) {
          if (uses.length < 2) continue;
          lines.push(`  refresh token ${hash} sent ${uses.length} times: ${uses.map((u) => `#${u.id} ${at(u.at)}..${u.endedAt ? at(u.endedAt) : '?'} ${u.outcome} ${u.status ?? ''} ${u.error ?? ''}`.trim()).join('; ')}`);
        }
        const odd = tokenProxy.exchanges.filter((e) => e.outcome === 'failed' || (e.outcome === 'forwarded' && (e.status ?? 0) >= 500));
        for (const e of odd.slice(-20)) lines.push(`  token endpoint #${e.id} ${at(e.at)}..${e.endedAt ? at(e.endedAt) : '?'} ${e.grantType ?? e.path}: ${e.outcome} ${e.status ?? ''} ${e.error ?? ''}`.trimEnd());
        for (const l of logLines.filter((entry) => entry.level === 'error').slice(-20)) lines.push(`  ${at(l.at)} ${l.text}`);
        return lines.join('\n');
      },
      destroy: cleanUp,
    };
    return rig;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** `F1 active (expires in 12 s, due in 2 s), F2 needs_reauth: invalid_grant ...` for a failure message. */
export function describeStates(states: ConnectorState[], dueBeforeExpiryMs: number): string {
  const now = Date.now();
  return states
    .map((c) => {
      const left = c.expiresAt ? Math.round((Date.parse(c.expiresAt) - now) / 1000) : undefined;
      const due = c.expiresAt ? Math.round((Date.parse(c.expiresAt) - dueBeforeExpiryMs - now) / 1000) : undefined;
      return `${c.label} ${c.status}${c.lastError ? `: ${c.lastError}` : ''} (expires in ${left} s, due in ${due} s)`;
    })
    .join('; ');
}

/** `503 refresh_in_progress x17, 502 provider_error x2` or `none`. */
export function describeFailures(failures: Record<string, number>): string {
  const entries = Object.entries(failures);
  return entries.length === 0 ? 'none' : entries.map(([what, n]) => `${what} x${n}`).join(', ');
}
