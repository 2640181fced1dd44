import { Schema, type InferSchemaType } from 'mongoose';
import { languages } from './common';

export const cardUserSchema = new Schema(
  {
    /** The XS-ID: the card user's identity, independent of any card. */
    _id: { type: String, required: true },
    companyId: { type: String, required: true, index: true },
    firstName: { type: String, required: true },
    lastName: { type: String, required: true },
    email: { type: String, required: true },
    language: { type: String, enum: languages, required: true },
    identityDocument: {
      kind: { type: String, enum: ['passport', 'id-card', 'residence-permit'], required: true },
      number: { type: String, required: true },
      expiresOn: { type: String, required: true },
    },
  },
  { timestamps: true, versionKey: false },
);

export type CardUserDoc = InferSchemaType<typeof cardUserSchema>;
export const cardUserCollection = 'card_users';
