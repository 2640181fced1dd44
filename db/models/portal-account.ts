import { Schema, type InferSchemaType } from 'mongoose';

export const portalAccountSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** Lower-cased email; unique while the account is pending or active. */
    emailKey: { type: String, required: true, unique: true },
    email: { type: String, required: true },
    customerNumber: { type: String, required: true, index: true },
    name: { type: String, required: true },
    passwordHash: { type: String, required: true },
    status: { type: String, enum: ['pending', 'active', 'locked', 'lapsed'], required: true },
    /** SHA-256 of the current single-use token; the token itself is never stored. */
    tokenHash: { type: String, index: true },
    tokenPurpose: { type: String, enum: ['activation', 'reset'] },
  },
  { timestamps: true, versionKey: false },
);

export type PortalAccountDoc = InferSchemaType<typeof portalAccountSchema>;
export const portalAccountCollection = 'portal_accounts';
