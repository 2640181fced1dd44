import { Schema, type InferSchemaType } from 'mongoose';

/**
 * One password-reset mail an account was allowed (api/services/account-limits.ts).
 * `_id` is `<accountId>:<n>`, n = 1, 2, ... per account: two requests that both
 * see claim n as the latest race to insert n + 1 and the unique `_id` lets one
 * win. (A conditional update would not do: FerretDB does not apply one
 * atomically under concurrency.) Claims older than a day are pruned, except
 * the latest, which keeps the numbering going.
 */
export const resetClaimSchema = new Schema(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    n: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
resetClaimSchema.index({ accountId: 1, n: -1 });

export type ResetClaimDoc = InferSchemaType<typeof resetClaimSchema>;
export const resetClaimCollection = 'account_reset_claims';
