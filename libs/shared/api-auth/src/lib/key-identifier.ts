import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import type { Principal } from './principal';
import { hashApiKey, UsersService } from './users.service';

/** Who holds a key: the API guard and the pages' sign-in form ask the same question the same way. */
@Injectable()
export class KeyIdentifier {
  private readonly adminKey: Buffer;
  private readonly serviceKey: Buffer;
  private readonly adminKeyHash: string;

  constructor(
    private readonly users: UsersService,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.adminKey = Buffer.from(config.adminKey);
    this.serviceKey = Buffer.from(config.serviceKey);
    this.adminKeyHash = hashApiKey(config.adminKey);
  }

  /** The principal a key belongs to (compared in constant time); undefined for a key that is not valid. */
  async identify(key: string): Promise<Principal | undefined> {
    const candidate = Buffer.from(key);
    if (safeEqual(candidate, this.adminKey)) return { kind: 'admin' };
    if (safeEqual(candidate, this.serviceKey)) return { kind: 'service' };
    if (!key.startsWith('flow_u_')) return undefined;
    const name = await this.users.findByKey(key);
    return name ? { kind: 'user', name } : undefined;
  }

  /** The stored hash of a principal's key as it is now (undefined once a user's key is revoked). */
  async currentKeyHash(principal: { kind: 'admin' } | { kind: 'user'; name: string }): Promise<string | undefined> {
    return principal.kind === 'admin' ? this.adminKeyHash : this.users.keyHashOf(principal.name);
  }
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
