/**
 * The `Idempotency-Key` header: a client that is unsure whether its request
 * arrived sends it again with the same key and gets the first answer back
 * (marked `Idempotent-Replayed: true`), whatever happened in between.
 *
 * - same key, same request (method, path, body): the first answer, replayed;
 * - same key, different request: 422, nothing done;
 * - same key while the first is still running: 409 with Retry-After;
 * - a 5xx answer is not kept, so the retry runs again; nor is a 202 "outcome pending" (an Update without
 *   an outcome by the deadline, api/services/updates.ts): the retry sends the same Update and gets its outcome.
 *
 * Keys belong to the API key that sent them (anonymous callers: to their
 * address, `req.ip`, which honours the trusted-proxy setting) and expire after
 * the configured hours. This is on top of the business keys, which already make
 * starting a process twice start one workflow.
 *
 * A running request holds a lease on its key and renews it every third of the
 * lease while it runs, so a slow request is never taken over. Only a claim
 * nobody renewed for longer than the lease (its process died) is taken over,
 * and retries racing for it race to insert one unique takeover document:
 * FerretDB has no atomic compare-and-set, but it does enforce unique keys.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { LOCAL_LINK_SECRET } from '../config/link-secret';
import type { RequestHandler } from 'express';
import { isDuplicateKey, type Models } from '../db/models';
import { badRequest, conflict, HttpProblem } from './errors';
import { callerOf } from './security/guard';
import { operationOf } from './operations';

/** Default lease of a running request's claim (renewed every third of it). */
export const DEFAULT_LEASE_MS = 30_000;
/** A handler that never answers does not hold its key for ever: renewals stop after this long. */
const MAX_RENEW_MS = 15 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * What a request asked, kept to tell a retry from a different request under the same key. Keyed
 * (HMAC-SHA256), because bodies hold passwords: an unkeyed hash kept for a day would let anyone
 * who reads the database test password guesses offline. The key is derived from the deployment's
 * ACCOUNT_LINK_SECRET, the same on every API instance.
 */
export function fingerprint(method: string, url: string, body: unknown, key: Buffer = LOCAL_FINGERPRINT_KEY): string {
  return createHmac('sha256', key)
    .update(`${method} ${url}\n${JSON.stringify(canonical(body ?? null))}`)
    .digest('hex');
}

/** The fingerprints' key, derived from the deployment's secret (never the secret itself). */
export function fingerprintKey(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('idempotency-fingerprint').digest();
}
/** Derived once: the default of tests and of the local stack. */
const LOCAL_FINGERPRINT_KEY = fingerprintKey(LOCAL_LINK_SECRET);

export interface IdempotencyOptions {
  models: Models;
  /** fingerprintKey(ACCOUNT_LINK_SECRET); the local secret's when absent (tests). */
  fingerprintKey?: Buffer;
  ttlHours: number;
  /** How long a claim holds without renewal (default DEFAULT_LEASE_MS). */
  leaseMs?: number;
  now?: () => Date;
}

export function idempotency(deps: IdempotencyOptions): RequestHandler {
  const { IdempotencyRecord, IdempotencyTakeover } = deps.models;
  const now = deps.now ?? (() => new Date());
  const ttlMs = deps.ttlHours * 3_600_000;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  let lastPrune = 0;

  return async (req, res, next) => {
    // The running request usually answers well within its lease (which it keeps renewing): retry soon.
    const busy = () => {
      res.setHeader('Retry-After', '1');
      return conflict('a request with this Idempotency-Key is still being processed; retry shortly');
    };
    const key = req.get('idempotency-key');
    if (key === undefined || req.method === 'GET' || req.method === 'HEAD') return next();
    try {
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw badRequest('the Idempotency-Key header must be 1 to 255 visible ASCII characters', [
          { field: 'Idempotency-Key', message: 'invalid' },
        ]);
      }
      if (operationOf(res)?.idempotent === false) {
        throw badRequest('this operation takes no Idempotency-Key: each request is judged afresh', [{ field: 'Idempotency-Key', message: 'not accepted here' }]);
      }
      const caller = callerOf(res);
      // Anonymous callers do not share one key space: each address has its own.
      const id = `${caller?.role ? caller.name : `anonymous@${req.ip}`}:${key}`;
      const print = fingerprint(req.method, req.originalUrl, req.body, deps.fingerprintKey);
      const owner = randomUUID();
      const started = now();
      if (started.getTime() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = started.getTime();
        const before = new Date(started.getTime() - ttlMs);
        void IdempotencyRecord.deleteMany({ createdAt: { $lt: before } }).catch(() => undefined);
        void IdempotencyTakeover.deleteMany({ at: { $lt: before } }).catch(() => undefined);
      }
      const claim = (at: Date, generation: number) => ({
        fingerprint: print,
        state: 'pending',
        createdAt: at,
        owner,
        generation,
        claimedUntil: new Date(at.getTime() + leaseMs),
        renewedAt: at,
      });

      for (let attempt = 0; ; attempt++) {
        try {
          await IdempotencyRecord.create({ _id: id, ...claim(started, 0) });
          break; // ours: run the request and keep its answer
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
        const existing = await IdempotencyRecord.findById(id).lean();
        if (!existing) {
          if (attempt < 3) continue; // deleted in between (a 5xx answer, or pruned): claim it afresh
          throw busy();
        }
        const t = now().getTime();
        const expired = t - existing.createdAt.getTime() > ttlMs;
        if (!expired && existing.fingerprint !== print) {
          throw new HttpProblem(422, 'Idempotency key reused', 'this Idempotency-Key was used for a different request (method, path or body)', {
            errors: [{ field: 'Idempotency-Key', message: 'used for a different request' }],
          });
        }
        if (!expired && existing.state === 'done') {
          const answer = existing.response!;
          res.setHeader('Idempotent-Replayed', 'true');
          if (answer.location) res.setHeader('Location', answer.location);
          res.status(answer.status!).type(answer.contentType ?? 'application/json').send(JSON.stringify(answer.body ?? null));
          return;
        }
        // Records from before leases: their claim lasted a lease from their creation.
        const claimedUntil = (existing.claimedUntil ?? new Date(existing.createdAt.getTime() + leaseMs)).getTime();
        if (!expired && claimedUntil >= t) throw busy();

        // Expired, or a claim nobody renewed: exactly one retry wins the unique takeover document of the next generation.
        const generation = (existing.generation ?? 0) + 1;
        const takeoverId = `${id}#${generation}`;
        try {
          await IdempotencyTakeover.create({ _id: takeoverId, at: new Date(t) });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          // Another retry won. If it died before claiming the record (between two writes), its takeover is
          // itself stale after a lease: remove it so the next retry can try again.
          const other = await IdempotencyTakeover.findById(takeoverId).lean();
          if (other && t - other.at.getTime() > leaseMs) await IdempotencyTakeover.deleteOne({ _id: takeoverId, at: other.at });
          throw busy();
        }
        await IdempotencyRecord.replaceOne({ _id: id }, claim(new Date(t), generation));
        break;
      }

      // Renew the claim while the request runs; stop once its answer is kept or the response has gone out.
      // FerretDB updates are read-modify-write: a renewal still in flight could write "pending" back over the
      // kept answer, so the answer is written only after the last renewal has settled.
      let renewing: Promise<unknown> = Promise.resolve();
      const renewal = setInterval(() => {
        const at = now();
        if (at.getTime() - started.getTime() > MAX_RENEW_MS) return stopRenewing();
        renewing = IdempotencyRecord.updateOne(
          { _id: id, owner, state: 'pending' },
          { $set: { claimedUntil: new Date(at.getTime() + leaseMs), renewedAt: at } },
        ).catch(() => undefined); // a missed renewal is retried at the next tick; the lease allows two
      }, leaseMs / 3);
      renewal.unref();
      const stopRenewing = () => clearInterval(renewal);
      // 'close' alone can mean the client went away while the handler still runs: keep renewing until it answers.
      res.once('finish', stopRenewing);

      // Keep the answer before it leaves, so a retry that follows it at once finds it.
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        stopRenewing();
        const kept = renewing.then((): Promise<unknown> =>
          res.statusCode >= 500 || res.locals.outcomePending
            ? IdempotencyRecord.deleteOne({ _id: id, owner }).exec()
            : IdempotencyRecord.updateOne(
                { _id: id, owner },
                {
                  state: 'done',
                  response: {
                    status: res.statusCode,
                    contentType: String(res.getHeader('content-type') ?? 'application/json').split(';')[0],
                    location: res.getHeader('location') as string | undefined,
                    body,
                  },
                },
              ).exec(),
        );
        // If keeping fails, the claim lapses after its lease and the key runs again.
        kept.then(
          () => json(body),
          () => json(body),
        );
        return res;
      };
      next();
    } catch (err) {
      next(err);
    }
  };
}
