import { Schema, type InferSchemaType } from 'mongoose';

/**
 * The first answer to a request sent with an `Idempotency-Key` header
 * (api/idempotency.ts), and while the request runs, its claim on the key: a
 * lease that the running request renews (`claimedUntil`, `renewedAt`). Expired
 * records are ignored and pruned by the API, since FerretDB has no TTL indexes.
 */
export const idempotencyRecordSchema = new Schema(
  {
    /** `<caller>:<key>`: keys are scoped to the API key that sent them, or to the address of an anonymous caller. */
    _id: { type: String, required: true },
    /** SHA-256 of method, path and the canonical JSON body. */
    fingerprint: { type: String, required: true },
    state: { type: String, enum: ['pending', 'done'], required: true },
    createdAt: { type: Date, required: true, index: true },
    /** The request holding the claim (a random token of its own); only it renews the lease or stores the answer. */
    owner: String,
    /** Takeovers so far: a takeover of generation g is won by inserting the IdempotencyTakeover `<_id>#<g+1>`. */
    generation: Number,
    /** While pending: the claim holds until then; a retry after it (not renewed in time) takes the key over. */
    claimedUntil: Date,
    renewedAt: Date,
    response: {
      status: Number,
      contentType: String,
      location: String,
      body: Schema.Types.Mixed,
    },
  },
  { versionKey: false },
);

/**
 * Who took over a stale idempotency claim, one document per takeover. FerretDB
 * has no atomic compare-and-set (a conditional update can have several
 * winners), so retries racing for one stale claim race to insert this unique
 * `_id`: exactly one insert succeeds.
 */
export const idempotencyTakeoverSchema = new Schema(
  {
    /** `<record _id>#<generation it starts>`. */
    _id: { type: String, required: true },
    at: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

export type IdempotencyRecordDoc = InferSchemaType<typeof idempotencyRecordSchema>;
export type IdempotencyTakeoverDoc = InferSchemaType<typeof idempotencyTakeoverSchema>;
export const idempotencyRecordCollection = 'idempotency_records';
export const idempotencyTakeoverCollection = 'idempotency_takeovers';
