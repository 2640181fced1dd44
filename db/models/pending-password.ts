import { Schema, type InferSchemaType } from 'mongoose';

/**
 * A new password's hash, waiting for the account's workflow to commit it
 * (a password reset). The API stores it here and hands the workflow only the
 * reference (`_id`), so no hash ever enters workflow history. The commit
 * activity (activities/accounts.ts) copies the hash onto the account, marks
 * the record used by that activity, and then drops the hash from it.
 * Records nobody committed are pruned by the API after an hour (FerretDB has
 * no TTL indexes).
 */
export const pendingPasswordSchema = new Schema(
  {
    /** `pw_` and 22 random base64url characters. */
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
    /** `scrypt$N$r$p$salt$key`; removed once committed. */
    hash: { type: String },
    createdAt: { type: Date, required: true, index: true },
    usedAt: { type: Date },
    /** `<workflowId>/<activityId>` of the commit: its retries see their own use and succeed. */
    usedBy: { type: String },
  },
  { versionKey: false },
);

export type PendingPasswordDoc = InferSchemaType<typeof pendingPasswordSchema>;
export const pendingPasswordCollection = 'pending_passwords';
