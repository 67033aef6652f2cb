import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

/** Name of the HttpOnly cookie that carries a Flow browser session id. */
export const FLOW_SESSION_COOKIE = 'flow_session';

/** How long a browser session lives after it is created. */
export const BROWSER_SESSION_TTL_SECONDS = 8 * 3600;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A request as far as sessions care: its parsed cookies (cookie-parser). */
export interface CookieCarrier {
  cookies?: Record<string, unknown>;
}

/** What a session holds: who signed in, and a check of the key they signed in with. */
export interface BrowserSessionRecord {
  kind: 'admin' | 'user';
  /** The user's name; `admin` for the administrator (no user may be called that). */
  name: string;
  /**
   * SHA-256 of the key's stored hash and the session id: a page request compares it with the key as
   * it is now, so revoking a user's key (or changing FLOW_ADMIN_KEY) ends that key's sessions. Redis
   * never holds the key or its plain hash.
   */
  keyCheck: string;
}

/**
 * Flow browser sessions: which Flow user a browser is signed in as (the `flow_session` cookie).
 * An abstract class so Nest can inject it by type, and a PostgreSQL-only deployment can provide
 * another implementation than Redis.
 */
export abstract class BrowserSessions {
  /** Opens a session for the holder of a key (its stored hash); the id goes into the cookie and is not stored as such. */
  abstract create(holder: { kind: 'admin' | 'user'; name: string }, keyHash: string): Promise<{ id: string; expiresAt: Date }>;
  /** A session by id; undefined when unknown, ended or expired. */
  abstract read(sessionId: string): Promise<BrowserSessionRecord | undefined>;
  /** Ends a session (signing out); unknown ids are ignored. */
  abstract destroy(sessionId: string): Promise<void>;

  /** The key check of a session: ties it to the key it was opened with. */
  static keyCheck(sessionId: string, keyHash: string): string {
    return createHash('sha256').update(`${keyHash}:${sessionId}`).digest('hex');
  }

  /** Whether a value is shaped like a session id. */
  static isSessionId(value: unknown): value is string {
    return typeof value === 'string' && SESSION_ID.test(value);
  }

  /** The owner name of a session id (a user's name, or `admin`); undefined when unknown, ended or expired. */
  async userOf(sessionId: string): Promise<string | undefined> {
    return (await this.read(sessionId))?.name;
  }

  /** The owner name of the request's `flow_session` cookie, if it carries a live session. */
  async find(req: CookieCarrier): Promise<string | undefined> {
    const id = req.cookies?.[FLOW_SESSION_COOKIE];
    return BrowserSessions.isSessionId(id) ? this.userOf(id) : undefined;
  }
}

/** Sessions in Redis: key = hash of the 256-bit random id, value = the session record (JSON), expiring with the session. */
@Injectable()
export class RedisBrowserSessions extends BrowserSessions {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  async create(holder: { kind: 'admin' | 'user'; name: string }, keyHash: string): Promise<{ id: string; expiresAt: Date }> {
    if (!holder.name || !keyHash) throw new Error('a session needs a user name and a key hash');
    const id = randomBytes(32).toString('base64url');
    const record: BrowserSessionRecord = { kind: holder.kind, name: holder.name, keyCheck: BrowserSessions.keyCheck(id, keyHash) };
    await this.redis.set(this.key(id), JSON.stringify(record), 'EX', BROWSER_SESSION_TTL_SECONDS);
    return { id, expiresAt: new Date(Date.now() + BROWSER_SESSION_TTL_SECONDS * 1000) };
  }

  async read(sessionId: string): Promise<BrowserSessionRecord | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    const value = await this.redis.get(this.key(sessionId));
    if (!value) return undefined;
    try {
      const record = JSON.parse(value) as Partial<BrowserSessionRecord>;
      if ((record.kind === 'admin' || record.kind === 'user') && typeof record.name === 'string' && typeof record.keyCheck === 'string') return record as BrowserSessionRecord;
    } catch {
      // Not a record this release wrote: no session.
    }
    return undefined;
  }

  async destroy(sessionId: string): Promise<void> {
    if (SESSION_ID.test(sessionId)) await this.redis.unlink(this.key(sessionId));
  }

  private key(sessionId: string): string {
    return `${this.config.queuePrefix}:browser-session:${createHash('sha256').update(sessionId).digest('hex')}`;
  }
}
