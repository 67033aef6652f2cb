import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { REDIS } from '@flow-oauth/redis';
import { type SealedPlace, SecretBox } from '@flow-oauth/secrets';
import type { Redis } from 'ioredis';
import { sha256Hex } from './sign-in-binding.store';

export const STATE_TTL_SECONDS = 600;

/** Everything the return endpoint needs to finish a sign-in, kept in Redis so any instance can finish it. */
export interface PendingAuthorization {
  type: string;
  providerId: string;
  providerName: string;
  /** The provider's settings fingerprint when the sign-in started. */
  providerFingerprint: string;
  label: string;
  owner: string;
  params: Record<string, string>;
  scope: string;
  codeVerifier?: string;
  /** OAuth 1.0a request-token secret. */
  oauth1TokenSecret?: string;
  redirectUrl?: string;
  /** The provider's authorize URL, where /oauth/start sends the bound browser. */
  authorizeUrl?: string;
  createdAt: string;
}

/**
 * Single-use, 10-minute authorization state. The state (256-bit random) is never stored as such:
 * the key is its hash, the value is sealed (it holds the PKCE verifier), and GETDEL makes
 * consumption atomic, so a replayed state finds nothing.
 */
@Injectable()
export class AuthorizationStateStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly box: SecretBox,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  /** A new random state value. */
  static newState(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Stores a pending authorization under a state (or OAuth 1.0a request token). */
  async save(state: string, pending: PendingAuthorization): Promise<Date> {
    await this.redis.set(this.key(state), this.box.sealJson(pending, placeOf(AuthorizationStateStore.hashOf(state))), 'EX', STATE_TTL_SECONDS);
    return AuthorizationStateStore.expiryOf(pending);
  }

  /** The id of a state that Redis keys carry: its SHA-256 hex (also names the browser's binding cookie). */
  static hashOf(state: string): string {
    return sha256Hex(state);
  }

  /** The pending authorization under a state hash, left in place (the start page reads it); undefined when unknown, used or expired. */
  async peek(stateHash: string): Promise<PendingAuthorization | undefined> {
    if (!/^[0-9a-f]{64}$/.test(stateHash)) return undefined;
    const sealed = await this.redis.get(this.keyOfHash(stateHash));
    if (!sealed) return undefined;
    const pending = this.box.openJson<PendingAuthorization>(sealed, placeOf(stateHash));
    return Date.now() - Date.parse(pending.createdAt) > STATE_TTL_SECONDS * 1000 ? undefined : pending;
  }

  /** Whether a state is still pending (unknown, used and expired states are not). */
  async exists(state: string): Promise<boolean> {
    return (await this.redis.exists(this.key(state))) === 1;
  }

  /** When the pending authorization of a state stops being accepted. */
  static expiryOf(pending: PendingAuthorization): Date {
    return new Date(Date.parse(pending.createdAt) + STATE_TTL_SECONDS * 1000);
  }

  /** Takes (and deletes) the pending authorization of a state; undefined when unknown, used or expired. */
  async consume(state: string): Promise<PendingAuthorization | undefined> {
    if (!state || state.length > 512) return undefined;
    const sealed = await this.redis.getdel(this.key(state));
    if (!sealed) return undefined;
    const pending = this.box.openJson<PendingAuthorization>(sealed, placeOf(AuthorizationStateStore.hashOf(state)));
    // Redis expiry is the rule; this guards against clock-skewed or restored keys.
    if (Date.now() - Date.parse(pending.createdAt) > STATE_TTL_SECONDS * 1000) return undefined;
    return pending;
  }

  private key(state: string): string {
    return this.keyOfHash(AuthorizationStateStore.hashOf(state));
  }

  private keyOfHash(stateHash: string): string {
    return `${this.config.queuePrefix}:oauth-state:${stateHash}`;
  }
}

/**
 * A pending sign-in is sealed bound to its state's key, so it cannot be replayed under another
 * state. It lives 10 minutes: a retired key must stay in FLOW_ENCRYPTION_OLD_KEYS that long.
 */
function placeOf(stateHash: string): SealedPlace {
  return { table: 'redis', column: 'oauth-state', row: stateHash };
}
