import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError, PUBLIC_ROUTE_KEY } from '@flow-oauth/http-common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthFailureLimiter, clientAddressKey } from './auth-failure-limiter';
import { ROLES_KEY } from './auth.decorators';
import type { Principal, Role } from './principal';
import { UsersService } from './users.service';

/**
 * Reads the key from `appKey` (ThingWorx style) or `Authorization: Bearer`; 401 without a valid one,
 * 403 for a wrong role, 429 while the client address is blocked for too many wrong keys.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly adminKey: Buffer;
  private readonly serviceKey: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly failures: AuthFailureLimiter,
    @Inject(FLOW_CONFIG) config: FlowConfig,
  ) {
    this.adminKey = Buffer.from(config.adminKey);
    this.serviceKey = Buffer.from(config.serviceKey);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Events between services arrive over the BullMQ transport, not HTTP; keys are an HTTP concern.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['admin'];
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const key = extractKey(req);
    // No key is not a guess (a browser, a probe, a forgotten header): answered, never counted.
    if (!key) throw new ApiError(401, 'unauthorized', 'An API key is required: send it as the appKey header or as Authorization: Bearer <key>.');
    // A blocked address is refused before its key is looked at, or a guesser would still learn which key is right.
    if (this.failures.anyBlocked) {
      const wait = this.failures.blockedFor(clientAddressKey(req.ip));
      if (wait !== undefined) throw tooManyFailures(req, wait);
    }
    const principal = await this.identify(key);
    if (!principal) {
      const verdict = await this.failures.recordFailure(clientAddressKey(req.ip));
      if (verdict.blocked) throw tooManyFailures(req, verdict.retryAfterSeconds);
      throw new ApiError(401, 'unauthorized', 'The API key is not valid.');
    }
    if (!roles.includes(principal.kind)) {
      throw new ApiError(403, 'forbidden', `This operation needs the ${roles.join(' or ')} role.`);
    }
    req.principal = principal;
    return true;
  }

  private async identify(key: string): Promise<Principal | undefined> {
    const candidate = Buffer.from(key);
    if (safeEqual(candidate, this.adminKey)) return { kind: 'admin' };
    if (safeEqual(candidate, this.serviceKey)) return { kind: 'service' };
    if (!key.startsWith('flow_u_')) return undefined;
    const name = await this.users.findByKey(key);
    return name ? { kind: 'user', name } : undefined;
  }
}

function tooManyFailures(req: Request, seconds: number): ApiError {
  req.res?.setHeader('Retry-After', String(seconds));
  return new ApiError(429, 'too_many_requests', `Too many requests with a wrong API key from this address; try again in ${seconds} s.`);
}

function extractKey(req: Request): string | undefined {
  const appKey = req.headers['appkey'];
  if (typeof appKey === 'string' && appKey.trim()) return appKey.trim();
  const auth = req.headers['authorization'];
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  return undefined;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
