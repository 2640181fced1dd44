import { Schema, type InferSchemaType } from 'mongoose';
import { languages } from './common';
import { CONTRACT_STATUSES } from '../../domain/vocabulary';

const transportLicenceSchema = new Schema(
  {
    number: { type: String, required: true },
    /** The licence is valid through this day (YYYY-MM-DD). */
    expiresOn: { type: String, required: true },
    documentRef: { type: String, required: true },
    /** NIWO bridging period: the effective expiry moves to this day (YYYY-MM-DD). */
    bridgingUntil: { type: String },
    bridgingProofRef: { type: String },
  },
  { _id: false },
);

export const companySchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    kvkNumber: { type: String, required: true },
    vatId: { type: String, required: true },
    /**
     * `kvk:vat` while the registration is pending or approved; a new
     * registration with the same numbers is refused. Rejected or terminated
     * companies move it to `closed:<id>`, so the same numbers can register again.
     */
    registrationKey: { type: String, required: true, unique: true },
    /**
     * Set by the API when it writes the record, before it starts the record's
     * workflow; removed once the start is known to have happened. A record that
     * keeps it past the grace period is a half-created case: the creation sweep
     * (api/services/creation.ts) starts its workflow under the same ID.
     */
    startPendingSince: { type: Date, index: { sparse: true } },
    kvkExtract: {
      documentRef: { type: String, required: true },
      issuedOn: { type: String, required: true },
    },
    signatory: {
      name: { type: String, required: true },
      email: { type: String, required: true },
    },
    contact: {
      name: { type: String, required: true },
      email: { type: String, required: true },
      language: { type: String, enum: languages, required: true },
    },
    requestsCargoCards: { type: Boolean, default: false },
    transportLicence: { type: transportLicenceSchema, required: false },
    /** Assigned at registration; told to the company on approval. */
    customerNumber: { type: String, required: true, unique: true },
    contract: {
      status: { type: String, enum: CONTRACT_STATUSES, required: true },
      submittedAt: { type: Date, required: true },
      dueAt: { type: Date, required: true },
      slaBreached: { type: Boolean, default: false },
      escalatedAt: { type: Date },
      decidedAt: { type: Date },
      decidedBy: { type: String },
      rejectionReason: { type: String },
      terminatedAt: { type: Date },
      /** Why the contract ended (e.g. the transport licence expired, section 4). */
      terminationReason: { type: String },
    },
  },
  { timestamps: true, versionKey: false },
);
companySchema.index({ 'contract.status': 1 });

export type CompanyDoc = InferSchemaType<typeof companySchema>;
export const companyCollection = 'companies';
