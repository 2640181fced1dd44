import { Schema, type InferSchemaType } from 'mongoose';

/**
 * One request let through by the cluster-wide rate limiter
 * (api/security/rate-limit.ts): slot n of a client's fixed window. The unique
 * `_id` is the limit: a window has `limit` slots, and FerretDB, which has no
 * atomic `$inc`, still enforces unique keys. Pruned by the API once expired.
 */
export const rateLimitSlotSchema = new Schema(
  {
    /** `<bucket>|<window start, ms>|<slot 1..limit>`. */
    _id: { type: String, required: true },
    /** When the window ends. */
    expire: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

export type RateLimitSlotDoc = InferSchemaType<typeof rateLimitSlotSchema>;
export const rateLimitSlotCollection = 'rate_limit_slots';
