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

/**
 * Flow browser sessions: which Flow user a browser is signed in as (the `flow_session` cookie).
 * An abstract class so Nest can inject it by type, and a PostgreSQL-only deployment can provide
 * another implementation than Redis.
 */
export abstract class BrowserSessions {
  /** Opens a session for a user; the id goes into the cookie and is not stored as such. */
  abstract create(userName: string): Promise<{ id: string; expiresAt: Date }>;
  /** The user of a session id; undefined when unknown, ended or expired. */
  abstract userOf(sessionId: string): Promise<string | undefined>;
  /** Ends a session (signing out); unknown ids are ignored. */
  abstract destroy(sessionId: string): Promise<void>;

  /** The user of the request's `flow_session` cookie, if it carries a live one. */
  async find(req: CookieCarrier): Promise<string | undefined> {
    const id = req.cookies?.[FLOW_SESSION_COOKIE];
    return typeof id === 'string' && SESSION_ID.test(id) ? this.userOf(id) : undefined;
  }
}

/** Sessions in Redis: key = hash of the 256-bit random id, value = user name, expiring with the session. */
@Injectable()
export class RedisBrowserSessions extends BrowserSessions {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  async create(userName: string): Promise<{ id: string; expiresAt: Date }> {
    if (!userName) throw new Error('a session needs a user name');
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(id), userName, 'EX', BROWSER_SESSION_TTL_SECONDS);
    return { id, expiresAt: new Date(Date.now() + BROWSER_SESSION_TTL_SECONDS * 1000) };
  }

  async userOf(sessionId: string): Promise<string | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    return (await this.redis.get(this.key(sessionId))) ?? undefined;
  }

  async destroy(sessionId: string): Promise<void> {
    if (SESSION_ID.test(sessionId)) await this.redis.unlink(this.key(sessionId));
  }

  private key(sessionId: string): string {
    return `${this.config.queuePrefix}:browser-session:${createHash('sha256').update(sessionId).digest('hex')}`;
  }
}
