/**
 * The guard every request passes before its route: which operation it is for,
 * who is calling (an API key, as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`), whether that role may call it (access-policy.ts), and
 * whether the caller is within its rate (rate-limit.ts). Failures are problem
 * documents: 401 without a valid key, 403 for a role without the right, 429
 * over the rate. Keys are compared by their SHA-256 and never logged.
 */
import type { Request, RequestHandler, Response } from 'express';
import { sha256, type ApiKey, type Role } from '../../config/api-keys';
import { HttpProblem } from '../errors';
import type { Operation } from '../operations';
import { isPublic, mayCall, rolesFor } from './access-policy';
import type { RateLimiter } from './rate-limit';

export interface Caller {
  /** The key's name, or "anonymous". */
  name: string;
  role?: Role;
}

export interface GuardOptions {
  keys: ApiKey[];
  limiter: RateLimiter;
  operationOf: (method: string, path: string) => Operation | undefined;
}

export const callerOf = (res: Response): Caller | undefined => res.locals.caller as Caller | undefined;
export const operationOf = (res: Response): Operation | undefined => res.locals.operation as Operation | undefined;

function presentedKey(req: Request): string | undefined | null {
  const auth = req.get('authorization');
  const header = req.get('x-api-key');
  let bearer: string | undefined;
  if (auth !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(auth);
    if (!m) return null; // some other scheme, or garbage
    bearer = m[1];
  }
  if (bearer !== undefined && header !== undefined && bearer !== header) return null;
  return bearer ?? header;
}

export function guard(options: GuardOptions): RequestHandler {
  const byHash = new Map(options.keys.map((k) => [k.secretSha256, k]));

  return async (req, res, next) => {
    const operation = options.operationOf(req.method, req.path);
    res.locals.operation = operation;
    const presented = presentedKey(req);
    const key = presented ? byHash.get(sha256(presented)) : undefined;
    const caller: Caller = key ? { name: key.name, role: key.role } : { name: 'anonymous' };
    res.locals.caller = caller;

    // Anonymous callers share a bucket per address, so a flood of bad requests cannot use up a key's rate. The
    // address is req.ip: X-Forwarded-For counts only through the API_TRUSTED_PROXIES hops (trusting more lets a caller pick its bucket).
    // Express 5 passes a rejection of this async handler to the error handler (the limiter itself fails open).
    const rate = await options.limiter.take(key ? `key:${key.name}` : `ip:${req.ip}`);
    res.setHeader('RateLimit-Limit', String(rate.limit));
    res.setHeader('RateLimit-Remaining', String(rate.remaining));
    res.setHeader('RateLimit-Reset', String(rate.resetSeconds));
    if (!rate.allowed) {
      res.setHeader('Retry-After', String(rate.resetSeconds));
      return next(new HttpProblem(429, 'Too many requests', `the rate limit is ${rate.limit} requests a minute; retry after ${rate.resetSeconds} s`));
    }

    if (operation && isPublic(operation) && presented === undefined) return next();
    if (!key) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="xs-backoffice"');
      const detail =
        presented === undefined
          ? 'send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"'
          : 'the API key is not valid';
      return next(new HttpProblem(401, 'Unauthorized', detail));
    }
    if (operation && !mayCall(key.role, operation)) {
      return next(
        new HttpProblem(403, 'Forbidden', `the role ${key.role} may not call ${operation.operationId}`, { allowedRoles: rolesFor(operation) }),
      );
    }
    next();
  };
}
