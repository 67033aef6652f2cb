import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ApiError, PUBLIC_ROUTE_KEY } from '@flow-oauth/http-common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthFailureLimiter, clientAddressKey } from './auth-failure-limiter';
import { ROLES_KEY } from './auth.decorators';
import { KeyIdentifier } from './key-identifier';
import type { Principal, Role } from './principal';

/**
 * Reads the key from `appKey` (ThingWorx style) or `Authorization: Bearer`; 401 without a valid one,
 * 403 for a wrong role, 429 while the client address is blocked for too many wrong keys.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** Each route's access rule, read from its decorators once: reflecting on every request costs the token API's hot path. */
  private readonly rules = new WeakMap<object, WeakMap<object, AccessRule>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyIdentifier,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Events between services arrive over the BullMQ transport, not HTTP; keys are an HTTP concern.
    if (context.getType() !== 'http') return true;
    const { isPublic, roles } = this.ruleOf(context);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const key = extractKey(req);
    // No key is not a guess (a browser, a probe, a forgotten header): answered, never counted.
    if (!key) throw new ApiError(401, 'unauthorized', 'An API key is required: send it as the appKey header or as Authorization: Bearer <key>.');
    // A blocked address is refused before its key is looked at, or a guesser would still learn which key is right.
    if (this.failures.anyBlocked) {
      const wait = this.failures.blockedFor(clientAddressKey(req.ip));
      if (wait !== undefined) throw tooManyFailures(req, wait);
    }
    const principal = await this.keys.identify(key);
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

  private ruleOf(context: ExecutionContext): AccessRule {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.rules.get(controller);
    if (!byHandler) this.rules.set(controller, (byHandler = new WeakMap()));
    let rule = byHandler.get(handler);
    if (!rule) {
      const targets = [handler, controller];
      rule = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE_KEY, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? ['admin'],
      };
      byHandler.set(handler, rule);
    }
    return rule;
  }
}

/** Who may call a route: anyone (@Public()), or the roles of @Roles (admin only when not said). */
interface AccessRule {
  isPublic: boolean;
  roles: Role[];
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
