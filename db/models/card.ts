import { Schema, type InferSchemaType } from 'mongoose';
import { CARD_STATUSES } from '../../domain/vocabulary';

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
    /**
     * The PIN in plain text, only between production and the PIN email to the
     * company contact (seconds): a retried production returns the same PIN, the
     * email reads it from here (so it never enters workflow history), and it is
     * removed as soon as the email went out (activities/cards.ts).
     */
    pinForDelivery: { type: String },
    /** How many new PINs customer service issued (0 or absent: the PIN of production). */
    pinIssue: { type: Number },
    /** Pickup or post (section 2): who collected the card, or the day it was posted. */
    collectedAt: { type: Date },
    collectedBy: { type: String },
    shippedOn: { type: String },
    status: { type: String, enum: CARD_STATUSES, required: true },
    producedAt: { type: Date, required: true },
    activatedAt: { type: Date },
    expiresAt: { type: Date },
    blockedAt: { type: Date },
    blockReason: { type: String },
    /** Cards in use (section 3): set when the renewal window opened; the card shows as expiring. */
    expiringSince: { type: Date },
    /** A block the company scheduled for a later day (00:00 local of `on`), until it takes effect or is cancelled. */
    scheduledBlock: { on: { type: String }, reason: { type: String }, requestedBy: { type: String }, takesEffectAt: { type: Date } },
  },
  { timestamps: true, versionKey: false },
);

export type CardDoc = InferSchemaType<typeof cardSchema>;
export const cardCollection = 'cards';
