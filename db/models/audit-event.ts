import { Schema, type InferSchemaType } from 'mongoose';

export const auditEventSchema = new Schema(
  {
    /** Deterministic per (workflow, event), so a retried activity records it once. */
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    subject: { type: String, required: true, index: true },
    event: { type: String, required: true },
    actor: { type: String, required: true },
    data: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
);

export type AuditEventDoc = InferSchemaType<typeof auditEventSchema>;
export const auditEventCollection = 'audit_events';
