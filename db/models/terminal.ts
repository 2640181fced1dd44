import { Schema, type InferSchemaType } from 'mongoose';

/**
 * A payment terminal of a customer (docs/accounts-terminals.md). Its
 * Terminal-ID (printed on the terminal) with the customer number (alias
 * L-Debitor-Nummer, on the invoice) proves a portal user belongs to that
 * customer: registration and adding a customer number match the pair against
 * an active terminal. The back-office registers and retires terminals; a
 * retired terminal proves nothing, and may be registered again (moved to
 * another customer).
 */
export const terminalSchema = new Schema(
  {
    /** The Terminal-ID, upper-cased. */
    _id: { type: String, required: true },
    customerNumber: { type: String, required: true, index: true },
    companyId: { type: String, required: true },
    /** Where the terminal stands (shop, address), as the customer knows it. */
    location: { type: String, required: true },
    /** Terminal model, e.g. "Move/5000". */
    model: { type: String, required: true },
    status: { type: String, enum: ['active', 'retired'], required: true },
    registeredAt: { type: Date, required: true },
    registeredBy: { type: String, required: true },
    retiredAt: { type: Date },
    retiredBy: { type: String },
    retireReason: { type: String },
  },
  { timestamps: true, versionKey: false },
);

export type TerminalDoc = InferSchemaType<typeof terminalSchema>;
export const terminalCollection = 'terminals';
