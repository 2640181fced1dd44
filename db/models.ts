/**
 * The records the processes keep, as mongoose schemas, with the indexes they
 * need. Every index here works on FerretDB (SQLite) and MongoDB 7/8 alike:
 * plain and unique (compound) indexes only; no TTL, partial, sparse or text
 * indexes, no transactions. Idempotency rests on unique keys, never counters.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

const languages = ['de', 'en'] as const;

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

const companySchema = new Schema(
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
      status: { type: String, enum: ['pending', 'approved', 'rejected', 'terminated'], required: true },
      submittedAt: { type: Date, required: true },
      dueAt: { type: Date, required: true },
      slaBreached: { type: Boolean, default: false },
      escalatedAt: { type: Date },
      decidedAt: { type: Date },
      decidedBy: { type: String },
      rejectionReason: { type: String },
      terminatedAt: { type: Date },
    },
  },
  { timestamps: true, versionKey: false },
);
companySchema.index({ 'contract.status': 1 });

const cardUserSchema = new Schema(
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

const cardApplicationSchema = new Schema(
  {
    _id: { type: String, required: true },
    companyId: { type: String, required: true, index: true },
    xsId: { type: String, required: true, index: true },
    cardType: { type: String, enum: ['CargoCard', 'DigitalSafetyPassport', 'PortKey'], required: true },
    deliveryMethod: { type: String, enum: ['post', 'pickup', 'urgent-pickup'], required: true },
    destination: { type: String, enum: ['NL', 'abroad'], required: true },
    collectorName: { type: String },
    status: { type: String, required: true },
    cardUserApprovedAt: { type: Date },
    backofficeApprovedAt: { type: Date },
    approvedAt: { type: Date },
    producedAt: { type: Date },
    cardNumber: { type: String },
  },
  { timestamps: true, versionKey: false },
);

const cardSchema = new Schema(
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

const portalAccountSchema = new Schema(
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

const emailOutboxSchema = new Schema(
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

const auditEventSchema = new Schema(
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

export type CompanyDoc = InferSchemaType<typeof companySchema>;
export type CardUserDoc = InferSchemaType<typeof cardUserSchema>;
export type CardApplicationDoc = InferSchemaType<typeof cardApplicationSchema>;
export type CardDoc = InferSchemaType<typeof cardSchema>;
export type PortalAccountDoc = InferSchemaType<typeof portalAccountSchema>;
export type EmailOutboxDoc = InferSchemaType<typeof emailOutboxSchema>;
export type AuditEventDoc = InferSchemaType<typeof auditEventSchema>;

export interface Models {
  Company: Model<CompanyDoc>;
  CardUser: Model<CardUserDoc>;
  CardApplication: Model<CardApplicationDoc>;
  Card: Model<CardDoc>;
  PortalAccount: Model<PortalAccountDoc>;
  EmailOutbox: Model<EmailOutboxDoc>;
  AuditEvent: Model<AuditEventDoc>;
}

/** Binds the schemas to one connection. */
export function createModels(connection: Connection): Models {
  return {
    Company: connection.model('Company', companySchema, 'companies'),
    CardUser: connection.model('CardUser', cardUserSchema, 'card_users'),
    CardApplication: connection.model('CardApplication', cardApplicationSchema, 'card_applications'),
    Card: connection.model('Card', cardSchema, 'cards'),
    PortalAccount: connection.model('PortalAccount', portalAccountSchema, 'portal_accounts'),
    EmailOutbox: connection.model('EmailOutbox', emailOutboxSchema, 'email_outbox'),
    AuditEvent: connection.model('AuditEvent', auditEventSchema, 'audit_events'),
  };
}

/** A mongo duplicate-key error (the only code FerretDB and MongoDB agree on). */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
