import { Schema, type InferSchemaType } from 'mongoose';

/**
 * The first answer to a request sent with an `Idempotency-Key` header
 * (api/idempotency.ts). Expired records are ignored and pruned by the API,
 * since FerretDB has no TTL indexes.
 */
export const idempotencyRecordSchema = new Schema(
  {
    /** `<caller>:<key>`: keys are scoped to the API key that sent them. */
    _id: { type: String, required: true },
    /** SHA-256 of method, path and the canonical JSON body. */
    fingerprint: { type: String, required: true },
    state: { type: String, enum: ['pending', 'done'], required: true },
    createdAt: { type: Date, required: true, index: true },
    response: {
      status: Number,
      contentType: String,
      location: String,
      body: Schema.Types.Mixed,
    },
  },
  { versionKey: false },
);

export type IdempotencyRecordDoc = InferSchemaType<typeof idempotencyRecordSchema>;
export const idempotencyRecordCollection = 'idempotency_records';
