import { Schema, type InferSchemaType } from 'mongoose';
import { languages } from './common';
import { ACCOUNT_PHASES, CUSTOMER_NUMBER_PROOFS } from '../../domain/vocabulary';

/** The current single-use link: only the SHA-256 of its token is stored, never the token. */
const linkSchema = new Schema(
  {
    purpose: { type: String, enum: ['activation', 'reset', 'customer-number'], required: true },
    /** With the workflow ID, keys the email: one mail per (account, purpose, issue). */
    issue: { type: Number, required: true },
    tokenHash: { type: String, required: true },
    /**
     * The token is HMAC(ACCOUNT_LINK_SECRET, account|purpose|issue|nonce): a retry
     * after an uncertain send re-derives it and mails the same link. Absent on
     * links minted before (random tokens, not derivable).
     */
    nonce: { type: String },
    expiresAt: { type: Date, required: true },
    /**
     * `sending` from just before the SMTP call until it is confirmed; `failed`
     * when the SMTP server refused or was unreachable (nothing went out, a
     * retry may mint a new token); `sent` once accepted.
     */
    delivery: { type: String, enum: ['sending', 'sent', 'failed'], required: true },
    usedAt: { type: Date },
    /** A customer-number confirmation link (`numberLink`): the number it adds, and when it lapsed unused. */
    customerNumber: { type: String },
    lapsedAt: { type: Date },
  },
  { _id: false },
);

/** A customer number added after registration (docs/accounts-terminals.md); written by the account's workflow. */
const addedCustomerNumberSchema = new Schema(
  {
    customerNumber: { type: String, required: true },
    companyId: { type: String, required: true },
    addedAt: { type: Date, required: true },
    proof: { type: String, enum: CUSTOMER_NUMBER_PROOFS, required: true },
  },
  { _id: false },
);

export const portalAccountSchema = new Schema(
  {
    _id: { type: String, required: true },
    /**
     * Lower-cased email while the account is pending activation, active or
     * locked: a second registration with it is refused. A lapsed registration
     * moves it to `lapsed:<id>`, so the same email can register again.
     */
    emailKey: { type: String, required: true, unique: true },
    /**
     * Set by the API when it writes the record, before it starts the record's
     * workflow; removed once the start is known to have happened. A record that
     * keeps it past the grace period is a half-created case: the creation sweep
     * (api/services/creation.ts) starts its workflow under the same ID.
     */
    startPendingSince: { type: Date, index: { sparse: true } },
    email: { type: String, required: true },
    language: { type: String, enum: languages, required: true },
    /** Last name, or company name. */
    name: { type: String, required: true },
    customerNumber: { type: String, required: true, index: true },
    companyId: { type: String, required: true, index: true },
    /** Registered with customer number and Terminal-ID instead of a name (`name` is then the company's). */
    terminalId: { type: String },
    /**
     * `scrypt$N$r$p$salt$hash` (base64url); made by the API (api/services/passwords.ts),
     * never logged, never in workflow history; upgraded to the current parameters
     * at the next successful check.
     */
    passwordHash: { type: String, required: true },
    status: { type: String, enum: ACCOUNT_PHASES, required: true },
    registeredAt: { type: Date, required: true },
    link: { type: linkSchema, required: false },
    activatedAt: { type: Date },
    lapsedAt: { type: Date },
    passwordChangedAt: { type: Date },
    lock: {
      type: new Schema({ reason: String, by: String, at: Date }, { _id: false }),
      required: false,
    },
    /** The last successful sign-in (written by the account's workflow). */
    lastSignInAt: { type: Date },
    /** The versions of the terms of use and the privacy statement the holder accepted, and when (docs/accounts.md). */
    acceptances: {
      type: new Schema({ terms: { version: String, at: Date }, privacy: { version: String, at: Date } }, { _id: false }),
      required: false,
    },
    /** Several customer numbers: the ones added besides `customerNumber`, and the open confirmation link (mailed to that customer's contact). */
    customerNumbers: { type: [addedCustomerNumberSchema], default: undefined },
    numberLink: { type: linkSchema, required: false },
  },
  { timestamps: true, versionKey: false },
);
portalAccountSchema.index({ 'link.tokenHash': 1 });
portalAccountSchema.index({ 'numberLink.tokenHash': 1 });

export type PortalAccountDoc = InferSchemaType<typeof portalAccountSchema>;
export const portalAccountCollection = 'portal_accounts';
