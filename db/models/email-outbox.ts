import { Schema, type InferSchemaType } from 'mongoose';
import { languages } from './common';

export const emailOutboxSchema = new Schema(
  {
    /** `<workflowId>:<purpose>[:<period>]`: at most one email per key, ever. */
    _id: { type: String, required: true },
    messageId: { type: String, required: true },
    to: { type: String, required: true },
    template: { type: String, required: true },
    language: { type: String, enum: languages, required: true },
    subject: { type: String, required: true },
    status: { type: String, enum: ['pending', 'sent'], required: true },
    attempts: { type: Number, default: 0 },
    sentAt: { type: Date },
  },
  { timestamps: true, versionKey: false },
);
emailOutboxSchema.index({ status: 1, createdAt: 1 });

export type EmailOutboxDoc = InferSchemaType<typeof emailOutboxSchema>;
export const emailOutboxCollection = 'email_outbox';
