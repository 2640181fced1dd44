/**
 * The `Idempotency-Key` header: a client that is unsure whether its request
 * arrived sends it again with the same key and gets the first answer back
 * (marked `Idempotent-Replayed: true`), whatever happened in between.
 *
 * - same key, same request (method, path, body): the first answer, replayed;
 * - same key, different request: 422, nothing done;
 * - same key while the first is still running: 409 with Retry-After;
 * - a 5xx answer is not kept, so the retry runs again.
 *
 * Keys belong to the API key that sent them and expire after the configured
 * hours. This is on top of the business keys, which already make starting a
 * process twice start one workflow.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { isDuplicateKey, type Models } from '../db/models';
import { badRequest, conflict, HttpProblem } from './errors';
import { callerOf } from './security/guard';

/** A request still pending after this long is taken to have died with its process. */
const ABANDONED_MS = 120_000;
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

export function fingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${JSON.stringify(canonical(body ?? null))}`)
    .digest('hex');
}

export function idempotency(deps: { models: Models; ttlHours: number; now?: () => Date }): RequestHandler {
  const { IdempotencyRecord } = deps.models;
  const now = deps.now ?? (() => new Date());
  const ttlMs = deps.ttlHours * 3_600_000;
  let lastPrune = 0;

  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined || req.method === 'GET' || req.method === 'HEAD') return next();
    try {
      if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw badRequest('the Idempotency-Key header must be 1 to 255 visible ASCII characters', [
          { field: 'Idempotency-Key', message: 'invalid' },
        ]);
      }
      const id = `${callerOf(res)?.name ?? 'anonymous'}:${key}`;
      const print = fingerprint(req.method, req.originalUrl, req.body);
      const started = now();
      if (started.getTime() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = started.getTime();
        void IdempotencyRecord.deleteMany({ createdAt: { $lt: new Date(started.getTime() - ttlMs) } }).catch(() => undefined);
      }

      for (let attempt = 0; ; attempt++) {
        try {
          await IdempotencyRecord.create({ _id: id, fingerprint: print, state: 'pending', createdAt: started });
          break; // ours: run the request and keep its answer
        } catch (err) {
          if (!isDuplicateKey(err) || attempt > 0) throw err;
        }
        const existing = await IdempotencyRecord.findById(id).lean();
        if (!existing) continue; // deleted in between: try once more
        const age = started.getTime() - existing.createdAt.getTime();
        const stale = age > ttlMs || (existing.state === 'pending' && age > ABANDONED_MS);
        if (stale) {
          await IdempotencyRecord.deleteOne({ _id: id, createdAt: existing.createdAt });
          continue;
        }
        if (existing.fingerprint !== print) {
          throw new HttpProblem(422, 'Idempotency key reused', 'this Idempotency-Key was used for a different request (method, path or body)', {
            errors: [{ field: 'Idempotency-Key', message: 'used for a different request' }],
          });
        }
        if (existing.state === 'pending') {
          res.setHeader('Retry-After', '1');
          throw conflict('a request with this Idempotency-Key is still being processed; retry shortly');
        }
        const answer = existing.response!;
        res.setHeader('Idempotent-Replayed', 'true');
        if (answer.location) res.setHeader('Location', answer.location);
        res.status(answer.status!).type(answer.contentType ?? 'application/json').send(JSON.stringify(answer.body ?? null));
        return;
      }

      // Keep the answer before it leaves, so a retry that follows it at once finds it.
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const kept =
          res.statusCode >= 500
            ? IdempotencyRecord.deleteOne({ _id: id })
            : IdempotencyRecord.updateOne(
                { _id: id },
                {
                  state: 'done',
                  response: {
                    status: res.statusCode,
                    contentType: String(res.getHeader('content-type') ?? 'application/json').split(';')[0],
                    location: res.getHeader('location') as string | undefined,
                    body,
                  },
                },
              );
        // If keeping fails, the record expires as abandoned and the key runs again.
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
