import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ActivityRecorder } from '@flow-oauth/activity';
import { ApiError } from '@flow-oauth/http-common';
import { ConnectorEntity, nowIso, UserEntity } from '@flow-oauth/persistence';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';

/** Hash of an API key as stored; keys are 192-bit random, so a plain SHA-256 is enough. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** User keys for the connector API: issued once, stored hashed. */
@Injectable()
export class UsersService {
  private readonly byKeySql: string;

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    dataSource: DataSource,
    private readonly activity: ActivityRecorder,
  ) {
    // Every user-key request runs this: one narrow statement, no query building.
    this.byKeySql = `SELECT name FROM users WHERE key_hash = ${dataSource.options.type === 'postgres' ? '$1' : '?'}`;
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
   * Deletes a user (its key stops working at once); 404 when unknown. Refused (409) while the user
   * owns connectors: ownership is by name, so a later user of the same name would inherit them.
   */
  async delete(name: string): Promise<void> {
    const owned = await this.users.manager.find(ConnectorEntity, { where: { owner: name }, select: { label: true }, order: { label: 'ASC' } });
    if (owned.length > 0 && (await this.users.existsBy({ name }))) {
      const labels = owned.map((c) => c.label);
      throw new ApiError(409, 'user_has_connectors', `User "${name}" still owns connectors (${labels.join(', ')}); delete them first.`, { connectors: labels });
    }
    const result = await this.users.delete({ name });
    if (!result.affected) throw new ApiError(404, 'not_found', `User "${name}" does not exist.`);
    await this.activity.record({ kind: 'admin', type: 'user.key_revoked', actor: 'admin', subject: `user:${name}`, outcome: 'ok', detail: { name } });
  }

  /** The stored hash of a user's key; undefined when there is no such user (its key was revoked). */
  async keyHashOf(name: string): Promise<string | undefined> {
    return (await this.users.findOne({ where: { name }, select: { keyHash: true } }))?.keyHash;
  }

  /** The user a key belongs to, if any. */
  async findByKey(key: string): Promise<string | undefined> {
    const rows = (await this.users.manager.query(this.byKeySql, [hashApiKey(key)])) as Array<{ name: string }>;
    return rows[0]?.name;
  }
}
