/**
 * Rate limiting, cluster-wide: at most `perMinute` requests per client (the
 * API key's name, or the caller's address for requests without a valid key)
 * in each fixed minute, counted for all API replicas together in the shared
 * database, with rate-limiter-flexible.
 *
 * The shared count is ours, not the library's RateLimiterMongo: that one
 * counts with `findOneAndUpdate` + `$inc`, which FerretDB (the local store)
 * does not apply atomically; measured there, 200 concurrent requests against
 * a limit of 50 were all let through. FerretDB does enforce unique keys, so
 * here a window has `perMinute` slots and a request is let through when it
 * inserts one (`rate_limit_slots`, db/models/rate-limit-slot.ts): never more
 * than the limit, whatever the number of replicas, on MongoDB and FerretDB
 * alike. It plugs into the library as a RateLimiterCompatibleAbstract, and
 * the library's RLWrapperTimeouts supplies the timeout and the fallback.
 *
 * The store unreachable (or slower than `storeTimeoutMs`): each process limits
 * on its own in memory (the library's RateLimiterMemory as insurance), logs it
 * once, and leaves the store alone for `retryStoreAfterMs` so requests do not
 * each wait for it. Fails open on the cluster-wide count, never with a 500.
 */
import type { Model } from 'mongoose';
import { RateLimiterCompatibleAbstract, RateLimiterMemory, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { RateLimitSlotDoc } from '../../db/models';
import type { Logger } from '../../observability/logger';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends (a refused request may retry then). */
  resetSeconds: number;
}

export interface RateLimiterOptions {
  perMinute: number;
  /** The shared store. */
  slots: Model<RateLimitSlotDoc>;
  logger?: Logger;
  /** A store call slower than this counts as the store being down (default 500 ms). */
  storeTimeoutMs?: number;
  /** After a store failure, memory only for this long before the store is tried again (default 5 s). */
  retryStoreAfterMs?: number;
}

const WINDOW_SECONDS = 60;
const PRUNE_EVERY_MS = 60_000;
/** Clients whose next free slot this process remembers (the others start again from slot 1). */
const MAX_BUCKETS = 10_000;

interface Bucket {
  /** The window (its start, ms) this process last saw for the client. */
  start: number;
  /** The next slot to try: slots below it are taken (by this process or another). */
  slot: number;
  /** Requests of this process waiting for a slot; one insert round serves them all. */
  waiting: { resolve: (slot: number) => void; reject: (err: unknown) => void }[];
  inserting: boolean;
}

/**
 * A rate-limiter-flexible limiter on unique slot documents (see above), consume
 * only. Requests of one process that wait at the same time for one client's
 * slots are served by one `insertMany`, so a flood costs the store one write
 * per round, not one per request; once a window is full, refusals cost nothing.
 */
class SlotLimiter extends RateLimiterCompatibleAbstract {
  private readonly buckets = new Map<string, Bucket>();
  private downUntil = 0;
  private lastPrune = 0;

  constructor(
    private readonly slots: Model<RateLimitSlotDoc>,
    private readonly points: number,
    private readonly timeoutMs: number,
    private readonly prefix: string,
    private readonly retryAfterMs: number,
    private readonly onStore: (up: boolean, err?: unknown) => void,
  ) {
    super();
    // The base class has throwing accessors for these (to be implemented); plain values on the instance shadow them.
    Object.defineProperties(this, {
      keyPrefix: { value: prefix },
      blockDuration: { value: 0, writable: true },
      execEvenly: { value: false, writable: true },
    });
  }

  /** Resolves when a slot was free; rejects with a RateLimiterRes when the window is full, with an Error when the store fails. */
  override async consume(key: string | number): Promise<RateLimiterRes> {
    const now = Date.now();
    if (now < this.downUntil) throw new Error('rate-limit store left alone after a failure');
    const windowMs = WINDOW_SECONDS * 1000;
    const start = now - (now % windowMs);
    const bucketKey = `${this.prefix}:${key}`;
    this.prune(now);

    let bucket = this.buckets.get(bucketKey);
    if (!bucket || bucket.start !== start) bucket = { start, slot: 1, waiting: [], inserting: false };
    this.buckets.delete(bucketKey); // re-insert: the map stays in least-recently-used order
    this.buckets.set(bucketKey, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);

    const b = bucket;
    const slot = await new Promise<number>((resolve, reject) => {
      b.waiting.push({ resolve, reject });
      if (!b.inserting) void this.serve(bucketKey, b);
    });
    const msBeforeNext = Math.max(start + windowMs - Date.now(), 0);
    // Full: known without asking the store again until the window ends.
    if (slot > this.points) throw new RateLimiterRes(0, msBeforeNext, this.points + 1, false);
    return new RateLimiterRes(this.points - slot, msBeforeNext, slot, slot === 1);
  }

  /** Inserts as many slots as requests wait, hands out those won, and goes on with the next slots for the others. */
  private async serve(bucketKey: string, bucket: Bucket): Promise<void> {
    bucket.inserting = true;
    let waiters: Bucket['waiting'] = [];
    try {
      while (bucket.waiting.length) {
        waiters = bucket.waiting.splice(0);
        const count = Math.min(waiters.length, this.points - bucket.slot + 1);
        if (count <= 0) {
          for (const w of waiters) w.resolve(this.points + 1);
          continue;
        }
        const first = bucket.slot;
        bucket.slot += count;
        const ids = Array.from({ length: count }, (_, i) => `${bucketKey}|${bucket.start}|${first + i}`);
        const won = await this.withTimeout(this.insert(ids, new Date(bucket.start + WINDOW_SECONDS * 1000)));
        const slots = ids.map((_, i) => first + i).filter((_, i) => won[i]);
        slots.forEach((slot, i) => waiters[i]!.resolve(slot));
        // Slots another replica took: the requests left over try the next ones (or are refused once none is left).
        bucket.waiting.unshift(...waiters.slice(slots.length));
        waiters = [];
        this.storeUp();
      }
    } catch (err) {
      this.storeDown(err);
      for (const w of [...waiters, ...bucket.waiting.splice(0)]) w.reject(err);
    } finally {
      bucket.inserting = false;
    }
  }

  /** Which of `ids` this insert took (a duplicate key: another process has that slot). */
  private async insert(ids: string[], expire: Date): Promise<boolean[]> {
    try {
      // String _ids: the driver's typing expects ObjectIds for a schemaless collection.
      await this.slots.collection.insertMany(ids.map((_id) => ({ _id, expire })) as unknown as { expire: Date }[], { ordered: false });
      return ids.map(() => true);
    } catch (err) {
      const errors = ([] as { index: number; code?: unknown }[]).concat((err as { writeErrors?: [] }).writeErrors ?? []);
      if (!errors.length || errors.some((e) => e.code !== 11000)) throw err; // 11000 only: duplicate key (db/models/common.ts)
      const lost = new Set(errors.map((e) => e.index));
      return ids.map((_, i) => !lost.has(i));
    }
  }

  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private storeDown(err: unknown): void {
    if (Date.now() < this.downUntil) return; // already known (a round that was under way when it failed)
    this.downUntil = Date.now() + this.retryAfterMs;
    this.onStore(false, err);
  }

  private storeUp(): void {
    // Only a round started after the pause proves the store is back; one that was under way when it failed does not.
    if (this.downUntil === 0 || Date.now() < this.downUntil) return;
    this.downUntil = 0;
    this.onStore(true);
  }

  private prune(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    void this.slots.deleteMany({ expire: { $lt: new Date(now) } }).catch(() => undefined);
  }

  override penalty(): Promise<RateLimiterRes> {
    return Promise.reject(new Error('the slot limiter only consumes'));
  }
  override reward(): Promise<RateLimiterRes> {
    return Promise.reject(new Error('the slot limiter only consumes'));
  }
  override get(): Promise<RateLimiterRes | null> {
    return Promise.reject(new Error('the slot limiter only consumes'));
  }
  override set(): Promise<RateLimiterRes> {
    return Promise.reject(new Error('the slot limiter only consumes'));
  }
  override block(): Promise<RateLimiterRes> {
    return Promise.reject(new Error('the slot limiter only consumes'));
  }
  override delete(): Promise<boolean> {
    return Promise.reject(new Error('the slot limiter only consumes'));
  }
}

export class RateLimiter {
  readonly perMinute: number;
  private readonly limiter: RLWrapperTimeouts;

  constructor(options: RateLimiterOptions) {
    this.perMinute = options.perMinute;
    const logger = options.logger;
    const timeoutMs = options.storeTimeoutMs ?? 500;
    let down = false;
    const shared = new SlotLimiter(
      options.slots,
      options.perMinute,
      timeoutMs,
      // Buckets are per limit: a replica started with another limit counts apart instead of misreading the slots.
      `${options.perMinute}pm`,
      options.retryStoreAfterMs ?? 5_000,
      (up, err) => {
        if (up && down) logger?.info('rate-limit store reachable again: limits are cluster-wide again');
        if (!up && !down) {
          logger?.warn({
            error: err instanceof Error ? err.message : String(err),
          }, 'rate-limit store unreachable (or too slow): this process limits on its own, in memory, until it is back');
        }
        down = !up;
      },
    );
    // The slot limiter times its store calls out itself (so it knows to leave the store alone); the wrapper's
    // timeout is a backstop, and its insurance limiter is the per-process fallback.
    this.limiter = new RLWrapperTimeouts({
      limiter: shared,
      timeoutMs: 3 * timeoutMs, // a request may wait for a round under way, then its own, then one more after a collision
      insuranceLimiter: new RateLimiterMemory({ points: options.perMinute, duration: WINDOW_SECONDS }),
    });
  }

  async take(client: string): Promise<RateDecision> {
    let res: RateLimiterRes;
    let allowed: boolean;
    try {
      res = await this.limiter.consume(client);
      allowed = true;
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) throw refused; // the in-memory insurance cannot fail
      res = refused;
      allowed = false;
    }
    return {
      allowed,
      limit: this.perMinute,
      remaining: res.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}
