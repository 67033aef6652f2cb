import { hash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError } from '@flow-oauth/http-common';
import { LocalCache } from '@flow-oauth/local-cache';
import { emitEvent, FLOW_EVENTS_CLIENT } from '@flow-oauth/messaging';
import { ConnectorEntity, nowIso, sqlDialect, UserEntity } from '@flow-oauth/persistence';
import { FlowEvent } from '@flow-oauth/queue-contracts';
import type { ClientProxy } from '@nestjs/microservices';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';

/** Keys remembered at most (each entry is a hash and a name). */
const USER_KEY_CACHE_ENTRIES = 10_000;

/** Hash of an API key as stored; keys are 192-bit random, so a plain SHA-256 is enough. */
export function hashApiKey(key: string): string {
  // One-shot hash (Node 20.12+): every user-key request hashes its key; a Hash object costs 3x as much.
  return hash('sha256', key, 'hex');
}

/** User keys for the connector API: issued once, stored hashed. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');
  private readonly byKeySql: string;
  /** Owner name by key hash; valid keys only, so wrong keys cannot fill it. */
  private readonly keys = new LocalCache<string, string>(USER_KEY_CACHE_ENTRIES);
  /**
   * How long a key is taken from memory (FLOW_CACHE_SECONDS). A deleted user's key stops working on
   * every instance when `user.deleted` reaches it (milliseconds); this bounds it should that event be
   * lost (Redis down while the user was deleted).
   */
  private readonly holdMs: number;

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    dataSource: DataSource,
    private readonly activity: ActivityRecorder,
    @Inject(FLOW_EVENTS_CLIENT) private readonly events: ClientProxy,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.holdMs = config.cacheSeconds * 1000;
    // Every user-key request runs this: one narrow statement, no query building.
    this.byKeySql = sqlDialect(dataSource).sql('SELECT name FROM users WHERE key_hash = ?');
  }

  /** Creates a user (a name CreateUserSchema accepted) and returns its key; the key is not retrievable later. */
  async create(name: string): Promise<{ name: string; key: string; createdAt: string }> {
    if (await this.users.existsBy({ name })) throw new ApiError(409, 'user_exists', `User "${name}" already exists.`);
    const key = `flow_u_${randomBytes(24).toString('base64url')}`;
    const createdAt = nowIso();
    await this.users.insert({ name, keyHash: hashApiKey(key), createdAt });
    // Issuing a key is one statement; its audit entry follows it (the admin API is the only caller).
    await this.activity.record({ kind: 'admin', type: 'user.key_issued', actor: 'admin', subject: `user:${name}`, outcome: 'ok', detail: { name } });
    return { name, key, createdAt };
  }

  /** Every user, without keys. */
  async list(): Promise<Array<{ name: string; createdAt: string }>> {
    const rows = await this.users.find({ order: { name: 'ASC' } });
    return rows.map((u) => ({ name: u.name, createdAt: u.createdAt }));
  }

  /**
   * Deletes a user (its key stops working here at once, and on every flow-oauth-server instance when
   * `user.deleted` reaches it); 404 when unknown. Refused (409) while the user owns connectors:
   * ownership is by name, so a later user of the same name would inherit them.
   */
  async delete(name: string): Promise<void> {
    const owned = await this.users.manager.find(ConnectorEntity, { where: { owner: name }, select: { label: true }, order: { label: 'ASC' } });
    if (owned.length > 0 && (await this.users.existsBy({ name }))) {
      const labels = owned.map((c) => c.label);
      throw new ApiError(409, 'user_has_connectors', `User "${name}" still owns connectors (${labels.join(', ')}); delete them first.`, { connectors: labels });
    }
    const result = await this.users.delete({ name });
    if (!result.affected) throw new ApiError(404, 'not_found', `User "${name}" does not exist.`);
    this.forgetKeys();
    await this.activity.record({ kind: 'admin', type: 'user.key_revoked', actor: 'admin', subject: `user:${name}`, outcome: 'ok', detail: { name } });
    try {
      await emitEvent(this.events, FlowEvent.UserDeleted, { name, at: nowIso() });
    } catch (error) {
      // The user is deleted; other instances stop taking its key within FLOW_CACHE_SECONDS anyway.
      this.logger.error(`${FlowEvent.UserDeleted} could not be sent: ${(error as Error).message}`);
    }
  }

  /** The stored hash of a user's key; undefined when there is no such user (its key was revoked). */
  async keyHashOf(name: string): Promise<string | undefined> {
    return (await this.users.findOne({ where: { name }, select: { keyHash: true } }))?.keyHash;
  }

  /** The user a key belongs to, if any; remembered for a few seconds (every user-key request asks). */
  async findByKey(key: string): Promise<string | undefined> {
    const hash = hashApiKey(key);
    const known = this.keys.get(hash);
    if (known !== undefined) return known;
    const read = this.keys.begin();
    const rows = (await this.users.manager.query(this.byKeySql, [hash])) as Array<{ name: string }>;
    const name = rows[0]?.name;
    if (name !== undefined) this.keys.set(hash, name, Date.now() + this.holdMs, read);
    return name;
  }

  /** Forgets every remembered key: a user was deleted (here or, by `user.deleted`, on another instance). */
  forgetKeys(): void {
    this.keys.clear();
  }
}
