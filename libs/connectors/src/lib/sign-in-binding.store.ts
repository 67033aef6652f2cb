import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import type { Redis } from 'ioredis';

const START_ID = /^[A-Za-z0-9_-]{43}$/;
const HEX_64 = /^[0-9a-f]{64}$/;

/** SHA-256 hex of a value (a start id, a state, a nonce): what Redis keeps instead of the value. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * The two Redis records that tie a sign-in to one browser:
 * - the start link's id (256-bit random, single use): hash of the id -> hash of the state;
 * - the browser binding: hash of the state -> hash of the nonce in that browser's cookie.
 * Neither holds a usable secret, and both expire with the state.
 */
@Injectable()
export class SignInBindingStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** Creates the single-use start id of a sign-in; it lives no longer than the state. */
  async createStart(stateHash: string, expiresAt: Date): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.startKey(id), stateHash, 'PXAT', expiresAt.getTime(), 'NX');
    return id;
  }

  /** The state hash a start id leads to, without using it up; undefined when unknown, used or expired. */
  async peekStart(startId: string): Promise<string | undefined> {
    if (!START_ID.test(startId)) return undefined;
    return (await this.redis.get(this.startKey(startId))) ?? undefined;
  }

  /** Uses a start id up (atomically: of two concurrent takers one gets it); the state hash, or undefined. */
  async takeStart(startId: string): Promise<string | undefined> {
    if (!START_ID.test(startId)) return undefined;
    return (await this.redis.getdel(this.startKey(startId))) ?? undefined;
  }

  /** Records the hash of the browser's nonce for a state, once; false when the state is already bound. */
  async bind(stateHash: string, nonceHash: string, expiresAt: Date): Promise<boolean> {
    if (!HEX_64.test(stateHash) || !HEX_64.test(nonceHash)) throw new Error('bind needs SHA-256 hex digests');
    return (await this.redis.set(this.bindingKey(stateHash), nonceHash, 'PXAT', expiresAt.getTime(), 'NX')) === 'OK';
  }

  /** The nonce hash a state is bound to, if it is. */
  async bindingOf(stateHash: string): Promise<string | undefined> {
    return (await this.redis.get(this.bindingKey(stateHash))) ?? undefined;
  }

  /** Forgets a binding once its state is used. */
  async unbind(stateHash: string): Promise<void> {
    await this.redis.unlink(this.bindingKey(stateHash));
  }

  private startKey(startId: string): string {
    return `${this.config.queuePrefix}:oauth-start:${sha256Hex(startId)}`;
  }

  private bindingKey(stateHash: string): string {
    return `${this.config.queuePrefix}:oauth-binding:${stateHash}`;
  }
}
