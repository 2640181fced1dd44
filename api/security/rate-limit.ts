/**
 * Rate limiting: a token bucket per client (the API key's name, or the
 * caller's address for requests without a valid key), refilled continuously
 * at `perMinute` tokens a minute and holding at most that many. In memory:
 * each API replica limits on its own, so the cluster-wide limit is the
 * per-replica limit times the replicas.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a token is available (when refused) or the bucket is full again. */
  resetSeconds: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    /** Buckets kept before idle (full) ones are forgotten. */
    private readonly maxBuckets = 10_000,
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(client: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.delete(client); // re-insert: the map stays in least-recently-used order
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
    return {
      allowed,
      limit: this.perMinute,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil((allowed ? this.perMinute - bucket.tokens : 1 - bucket.tokens) / this.perMs / 1000),
    };
  }
}
