/**
 * Abuse limits of the public portal-account endpoints, in one place:
 *
 * - Per account (password-reset mails): a request within `resetResendMinutes`
 *   of the last one that went out sends nothing, so the link already mailed
 *   stays the valid one; at most `resetMailsPerDay` in any 24 hours. Each mail
 *   is a claim record with a unique key, so concurrent requests on any number
 *   of API replicas claim at most one mail.
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
import { isDuplicateKey, type Models } from '../../db/models';
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

/** A reset mail an account was allowed: the claim record (released again if the mail could not be asked for). */
export interface ResetClaim {
  id: string;
  accountId: string;
}

/**
 * Claims a reset mail for the active account with this email and customer
 * number, if the limits allow one now; returns the claim, or undefined (no
 * such active account, or limited: the caller cannot tell which, and need not).
 * Race-free on any number of replicas: the claim is a unique insert (db/models/reset-claim.ts).
 */
export async function claimResetMail(
  models: Pick<Models, 'PortalAccount' | 'ResetClaim'>,
  who: { emailKey: string; customerNumber: string },
  limits: AccountLimits,
  now: Date,
): Promise<ResetClaim | undefined> {
  const account = await models.PortalAccount.findOne({ ...who, status: 'active' }, { _id: 1 }).lean();
  if (!account) return undefined;
  const accountId = account._id as string;
  const dayAgo = new Date(now.getTime() - DAY_MS);
  const latest = await models.ResetClaim.findOne({ accountId }).sort({ n: -1 }).lean();
  if (latest && latest.at.getTime() > now.getTime() - limits.resetResendMinutes * MINUTE_MS) return undefined;
  if ((await models.ResetClaim.countDocuments({ accountId, at: { $gt: dayAgo } })) >= limits.resetMailsPerDay) return undefined;
  const n = (latest?.n ?? 0) + 1;
  const id = `${accountId}:${n}`;
  try {
    await models.ResetClaim.create({ _id: id, accountId, n, at: now });
  } catch (err) {
    if (isDuplicateKey(err)) return undefined; // a concurrent request claimed this mail
    throw err;
  }
  await models.ResetClaim.deleteMany({ accountId, at: { $lte: dayAgo }, n: { $lt: n } });
  return { id, accountId };
}

/** Gives a claim back when its mail could not even be asked for (Temporal unreachable): the next request may try. */
export async function releaseResetMail(ResetClaim: Models['ResetClaim'], claim: ResetClaim): Promise<void> {
  await ResetClaim.deleteOne({ _id: claim.id });
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
  // FerretDB loses concurrent increments of one counter (MongoDB does not): within this process,
  // the calls for one counter run one after another, so a burst on one replica is counted exactly.
  const chains = new Map<string, Promise<unknown>>();
  const inTurn = <T>(key: string, step: () => Promise<T>): Promise<T> => {
    const run = (chains.get(key) ?? Promise.resolve()).then(step, step);
    const tail = run.catch(() => undefined);
    chains.set(key, tail);
    void tail.then(() => chains.get(key) === tail && chains.delete(key));
    return run;
  };

  const tooMany = (res: Parameters<RequestHandler>[1], msBeforeNext: number, what: string) => {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    res.setHeader('Retry-After', String(seconds));
    return new HttpProblem(429, 'Too many requests', `too many ${what} from this address; retry after ${seconds} s`);
  };

  return {
    async resetRequests(req, res, next) {
      try {
        const key = req.ip ?? 'unknown';
        await inTurn(`r:${key}`, () => requests.consume(key));
        next();
      } catch (err) {
        if (err instanceof RateLimiterRes) return next(tooMany(res, err.msBeforeNext, 'password-reset requests'));
        next(err);
      }
    },
    async linkFailures(req, res, next) {
      const key = req.ip ?? 'unknown';
      try {
        const seen = await inTurn(`f:${key}`, () => failures.get(key));
        if (seen && seen.consumedPoints >= limits.linkFailuresPerAddressHour) return next(tooMany(res, seen.msBeforeNext, 'invalid links'));
      } catch (err) {
        return next(err);
      }
      res.on('finish', () => {
        if (res.statusCode === 400 || res.statusCode === 410) inTurn(`f:${key}`, () => failures.penalty(key)).catch(() => undefined);
      });
      next();
    },
  };
}
