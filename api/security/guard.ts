/**
 * The guard every request for an operation passes before its handler: who is
 * calling (an API key, as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`), whether the caller is within its rate (rate-limit.ts),
 * and whether that role may call the operation the router found
 * (access-policy.ts). Failures are problem documents: 401 without a valid
 * key, 403 for a role without the right, 429 over the rate. Keys are compared
 * by their SHA-256 and never logged.
 *
 * It decides on the operation the router found (res.locals.operation), never
 * on a reading of the path of its own; a request without one is refused (a
 * bug, logged). Only the guard marks a request checked, and the router runs a
 * handler only for a checked request (operations.ts).
 */
import type { Request, RequestHandler, Response } from 'express';
import { sha256, type ApiKey, type Role } from '../../config/api-keys';
import { HttpProblem } from '../errors';
import { markChecked, operationOf } from '../operations';
import { isPublic, mayCall, rolesFor } from './access-policy';
import type { RateDecision } from './rate-limit';

export interface Caller {
  /** The key's name, or "anonymous". */
  name: string;
  role?: Role;
}

export interface GuardOptions {
  keys: ApiKey[];
  /** In-process or shared: either answers at once or with a promise. */
  limiter: { take(client: string): RateDecision | Promise<RateDecision> };
  /** Told of a request that reached the guard without an operation: a bug. */
  onUnrouted: (req: Request) => void;
}

export const callerOf = (res: Response): Caller | undefined => res.locals.caller as Caller | undefined;
/** The operation the router found (also exported here, where it used to live). */
export { operationOf } from '../operations';

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
    const operation = operationOf(res);
    const presented = presentedKey(req);
    const key = presented ? byHash.get(sha256(presented)) : undefined;
    const caller: Caller = key ? { name: key.name, role: key.role } : { name: 'anonymous' };
    res.locals.caller = caller;
    if (!operation) {
      options.onUnrouted(req);
      return next(new HttpProblem(500, 'Internal server error', 'the request was not routed; it was refused and logged'));
    }

    if (operation.rateLimited !== false) {
      // Anonymous callers share a bucket per address, so a flood of bad requests cannot use up a key's rate. The
      // address is req.ip: X-Forwarded-For counts only through the API_TRUSTED_PROXIES hops (trusting more lets a
      // caller pick its bucket). Express 5 passes a rejection of this async handler on (the limiter fails open).
      const rate = await options.limiter.take(key ? `key:${key.name}` : `ip:${req.ip}`);
      res.setHeader('RateLimit-Limit', String(rate.limit));
      res.setHeader('RateLimit-Remaining', String(rate.remaining));
      res.setHeader('RateLimit-Reset', String(rate.resetSeconds));
      if (!rate.allowed) {
        res.setHeader('Retry-After', String(rate.resetSeconds));
        return next(new HttpProblem(429, 'Too many requests', `the rate limit is ${rate.limit} requests a minute; retry after ${rate.resetSeconds} s`));
      }
    }

    if (isPublic(operation) && presented === undefined) {
      markChecked(res, operation);
      return next();
    }
    if (!key) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="xs-backoffice"');
      const detail =
        presented === undefined
          ? 'send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"'
          : 'the API key is not valid';
      return next(new HttpProblem(401, 'Unauthorized', detail));
    }
    if (!mayCall(key.role, operation)) {
      return next(
        new HttpProblem(403, 'Forbidden', `the role ${key.role} may not call ${operation.operationId}`, { allowedRoles: rolesFor(operation) }),
      );
    }
    markChecked(res, operation);
    next();
  };
}
