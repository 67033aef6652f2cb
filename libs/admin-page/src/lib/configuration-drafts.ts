import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import type { Redis } from 'ioredis';

/** How long a planned configuration waits to be applied. */
export const DRAFT_TTL_SECONDS = 600;
const DRAFT_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * A configuration file between its dry-run plan and "Apply": kept on the server under a random id,
 * for the session that planned it, so the page never sends the file (and its client secrets) back
 * to the browser. An abstract class, so a PostgreSQL-only deployment can keep drafts elsewhere.
 */
export abstract class ConfigurationDrafts {
  /** Keeps a file's text for `owner` (a hash of the admin's session); answers the draft id. */
  abstract save(text: string, owner: string): Promise<string>;
  /** The text of a draft, only for its owner; undefined when unknown, expired or another session's. */
  abstract get(id: string, owner: string): Promise<string | undefined>;
  /** Forgets a draft (once applied). */
  abstract drop(id: string): Promise<void>;
}

/** Drafts in Redis: key = hash of the id, value sealed (AES-256-GCM, bound to that key), 10 minutes. */
@Injectable()
export class RedisConfigurationDrafts extends ConfigurationDrafts {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly box: SecretBox,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {
    super();
  }

  async save(text: string, owner: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const hash = sha256(id);
    await this.redis.set(this.key(hash), this.box.sealJson({ text, owner }, placeOf(hash)), 'EX', DRAFT_TTL_SECONDS);
    return id;
  }

  async get(id: string, owner: string): Promise<string | undefined> {
    if (!DRAFT_ID.test(id)) return undefined;
    const hash = sha256(id);
    const sealed = await this.redis.get(this.key(hash));
    if (!sealed) return undefined;
    const draft = this.box.openJson<{ text: string; owner: string }>(sealed, placeOf(hash));
    return draft.owner === owner ? draft.text : undefined;
  }

  async drop(id: string): Promise<void> {
    if (DRAFT_ID.test(id)) await this.redis.unlink(this.key(sha256(id)));
  }

  private key(hash: string): string {
    return `${this.config.queuePrefix}:config-draft:${hash}`;
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function placeOf(hash: string): SealedPlace {
  return { table: 'redis', column: 'config-draft', row: hash };
}
