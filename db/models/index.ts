/**
 * The records the processes keep, one file per model, with the indexes they
 * need. Every index works on FerretDB (SQLite) and MongoDB 7/8 alike: plain
 * and unique (compound) indexes only; no TTL, partial, sparse or text indexes,
 * no transactions. Idempotency rests on unique keys, never counters.
 */
import type { Connection, Model } from 'mongoose';
import { auditEventSchema, auditEventCollection, type AuditEventDoc } from './audit-event';
import { cardApplicationSchema, cardApplicationCollection, type CardApplicationDoc } from './card-application';
import { cardSchema, cardCollection, type CardDoc } from './card';
import { cardUserSchema, cardUserCollection, type CardUserDoc } from './card-user';
import { companySchema, companyCollection, type CompanyDoc } from './company';
import {
  idempotencyRecordSchema,
  idempotencyRecordCollection,
  idempotencyTakeoverSchema,
  idempotencyTakeoverCollection,
  type IdempotencyRecordDoc,
  type IdempotencyTakeoverDoc,
} from './idempotency-record';
import { emailOutboxSchema, emailOutboxCollection, type EmailOutboxDoc } from './email-outbox';
import { pendingPasswordSchema, pendingPasswordCollection, type PendingPasswordDoc } from './pending-password';
import { rateLimitSlotSchema, rateLimitSlotCollection, type RateLimitSlotDoc } from './rate-limit-slot';
import { portalAccountSchema, portalAccountCollection, type PortalAccountDoc } from './portal-account';
import { resetClaimSchema, resetClaimCollection, type ResetClaimDoc } from './reset-claim';
import { terminalSchema, terminalCollection, type TerminalDoc } from './terminal';

export { isDuplicateKey } from './common';
export type {
  AuditEventDoc,
  CardApplicationDoc,
  CardDoc,
  CardUserDoc,
  CompanyDoc,
  EmailOutboxDoc,
  IdempotencyRecordDoc,
  IdempotencyTakeoverDoc,
  PendingPasswordDoc,
  PortalAccountDoc,
  RateLimitSlotDoc,
  ResetClaimDoc,
  TerminalDoc,
};

export interface Models {
  Company: Model<CompanyDoc>;
  CardUser: Model<CardUserDoc>;
  CardApplication: Model<CardApplicationDoc>;
  Card: Model<CardDoc>;
  PortalAccount: Model<PortalAccountDoc>;
  PendingPassword: Model<PendingPasswordDoc>;
  ResetClaim: Model<ResetClaimDoc>;
  EmailOutbox: Model<EmailOutboxDoc>;
  AuditEvent: Model<AuditEventDoc>;
  IdempotencyRecord: Model<IdempotencyRecordDoc>;
  IdempotencyTakeover: Model<IdempotencyTakeoverDoc>;
  RateLimitSlot: Model<RateLimitSlotDoc>;
  Terminal: Model<TerminalDoc>;
}

/** Binds the schemas to one connection. */
export function createModels(connection: Connection): Models {
  return {
    Company: connection.model('Company', companySchema, companyCollection),
    CardUser: connection.model('CardUser', cardUserSchema, cardUserCollection),
    CardApplication: connection.model('CardApplication', cardApplicationSchema, cardApplicationCollection),
    Card: connection.model('Card', cardSchema, cardCollection),
    PortalAccount: connection.model('PortalAccount', portalAccountSchema, portalAccountCollection),
    PendingPassword: connection.model('PendingPassword', pendingPasswordSchema, pendingPasswordCollection),
    ResetClaim: connection.model('ResetClaim', resetClaimSchema, resetClaimCollection),
    EmailOutbox: connection.model('EmailOutbox', emailOutboxSchema, emailOutboxCollection),
    AuditEvent: connection.model('AuditEvent', auditEventSchema, auditEventCollection),
    IdempotencyRecord: connection.model('IdempotencyRecord', idempotencyRecordSchema, idempotencyRecordCollection),
    IdempotencyTakeover: connection.model('IdempotencyTakeover', idempotencyTakeoverSchema, idempotencyTakeoverCollection),
    RateLimitSlot: connection.model('RateLimitSlot', rateLimitSlotSchema, rateLimitSlotCollection),
    Terminal: connection.model('Terminal', terminalSchema, terminalCollection),
  };
}
