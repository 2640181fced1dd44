import { Schema, type InferSchemaType } from 'mongoose';

export const cardSchema = new Schema(
  {
    /** The card number printed on the card. */
    _id: { type: String, required: true },
    applicationId: { type: String, required: true, unique: true },
    companyId: { type: String, required: true, index: true },
    xsId: { type: String, required: true, index: true },
    cardType: { type: String, required: true },
    /** Stored only as a hash; the PIN itself goes once to the company contact. */
    pinHash: { type: String, required: true },
    status: { type: String, enum: ['produced', 'held', 'shipped', 'collected', 'active', 'blocked', 'expired'], required: true },
    producedAt: { type: Date, required: true },
    activatedAt: { type: Date },
    expiresAt: { type: Date },
    blockedAt: { type: Date },
    blockReason: { type: String },
  },
  { timestamps: true, versionKey: false },
);

export type CardDoc = InferSchemaType<typeof cardSchema>;
export const cardCollection = 'cards';
