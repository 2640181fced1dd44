/**
 * Abuse limits of the public portal-account endpoints, in one place:
 *
 * - Per account (password-reset mails): a request within `resetResendMinutes`
 *   of the last one that went out sends nothing, so the link already mailed
 *   stays the valid one; at most `resetMailsPerDay` per day-long window. The
 *   claim is one compare-and-set on the account record, so concurrent
 *   requests on any number of API replicas claim at most one mail.
 * - Per address: reset requests per hour, and failed link uses (unknown,
 *   used or expired tokens: guessing) per hour, counted with
 *   rate-limiter-flexible in MongoDB, so the limit holds across API replicas.
 *   Over the limit: 429 with Retry-After. The address is `req.ip` (see
 *   API_TRUSTED_PROXIES).
 *
 * The per-account outcome is never visible to the caller: the reset request
 * is answered before any account is looked up (api/services/accounts.ts).
 */
import type { RequestHandler } from 'express';
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import type { Models } from '../../db/models';
import { HttpProblem } from '../errors';

export interface AccountLimits {
  /** A second reset request within this many minutes sends nothing (ACCOUNT_RESET_RESEND_MINUTES). */
  resetResendMinutes: number;
  /** Reset mails per account per day (ACCOUNT_RESET_MAILS_PER_DAY). */
  resetMailsPerDay: number;
  /** Reset requests per client address per hour (ACCOUNT_RESET_REQUESTS_PER_ADDRESS_HOUR). */
  resetRequestsPerAddressHour: number;
  /** Failed activations and reset confirmations per client address per hour (ACCOUNT_LINK_FAILURES_PER_ADDRESS_HOUR). */
  linkFailuresPerAddressHour: number;
}

export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = {
  resetResendMinutes: 5,
  resetMailsPerDay: 5,
  resetRequestsPerAddressHour: 20,
  linkFailuresPerAddressHour: 20,
};

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** The collection the per-address counters live in (one document per limit and address). */
const COLLECTION = 'account_abuse_limits';

/**
 * Claims a reset mail for the active account with this email and customer
 * number, if the limits allow one now; returns its ID, or undefined (no such
 * active account, or limited: the caller cannot tell which, and need not).
 */
export async function claimResetMail(
  PortalAccount: Models['PortalAccount'],
  who: { emailKey: string; customerNumber: string },
  limits: AccountLimits,
  now: Date,
): Promise<string | undefined> {
  const match = { emailKey: who.emailKey, customerNumber: who.customerNumber, status: 'active' };
  const dayAgo = new Date(now.getTime() - DAY_MS);
  // A new day-long window: no window yet, or the last one is over.
  const fresh = await PortalAccount.findOneAndUpdate(
    { ...match, $or: [{ 'resetRequests.windowStart': { $exists: false } }, { 'resetRequests.windowStart': { $lte: dayAgo } }] },
    { $set: { resetRequests: { windowStart: now, count: 1, lastAt: now } } },
  ).lean(); // no projection: FerretDB's findAndModify does not take one
  if (fresh) return fresh._id as string;
  // Within the window: past the resend interval and under the day's number.
  const next = await PortalAccount.findOneAndUpdate(
    {
      ...match,
      'resetRequests.lastAt': { $lte: new Date(now.getTime() - limits.resetResendMinutes * MINUTE_MS) },
      'resetRequests.count': { $lt: limits.resetMailsPerDay },
    },
    { $set: { 'resetRequests.lastAt': now }, $inc: { 'resetRequests.count': 1 } },
  ).lean();
  return next ? (next._id as string) : undefined;
}

export interface AddressLimiters {
  /** Counts every reset request of the address; over the limit, 429. */
  resetRequests: RequestHandler;
  /** Refuses an address with too many failed link uses (429); counts answers 400 and 410 as failures. */
  linkFailures: RequestHandler;
}

/** The per-address limiters, stored in MongoDB on the API's connection (shared by every replica). */
export function addressLimiters(connection: Connection, limits: AccountLimits): AddressLimiters {
  // rate-limiter-flexible would also create a TTL index, which FerretDB does not have: the unique key
  // index is made here, and expired counters are reset in place by the library, so none piles up per address.
  connection
    .collection(COLLECTION)
    .createIndex({ key: 1 }, { unique: true })
    .catch(() => undefined); // the limiter still works without it; a duplicate counter only makes it stricter
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterMongo({ storeClient: connection, tableName: COLLECTION, keyPrefix, points, duration: 3600, disableIndexesCreation: true });
  const requests = limiter('reset-request', limits.resetRequestsPerAddressHour);
  const failures = limiter('link-failure', limits.linkFailuresPerAddressHour);

  const tooMany = (res: Parameters<RequestHandler>[1], msBeforeNext: number, what: string) => {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    res.setHeader('Retry-After', String(seconds));
    return new HttpProblem(429, 'Too many requests', `too many ${what} from this address; retry after ${seconds} s`);
  };

  return {
    async resetRequests(req, res, next) {
      try {
        await requests.consume(req.ip ?? 'unknown');
        next();
      } catch (err) {
        if (err instanceof RateLimiterRes) return next(tooMany(res, err.msBeforeNext, 'password-reset requests'));
        next(err);
      }
    },
    async linkFailures(req, res, next) {
      const key = req.ip ?? 'unknown';
      try {
        const seen = await failures.get(key);
        if (seen && seen.consumedPoints >= limits.linkFailuresPerAddressHour) return next(tooMany(res, seen.msBeforeNext, 'invalid links'));
      } catch (err) {
        return next(err);
      }
      res.on('finish', () => {
        if (res.statusCode === 400 || res.statusCode === 410) failures.penalty(key).catch(() => undefined);
      });
      next();
    },
  };
}
