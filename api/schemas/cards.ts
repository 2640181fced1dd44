/** Card users (XS-ID) and card applications (PROCESSES.md section 2). */
import { z } from 'zod';
import { CARD_APPLICATION_PHASES, CARD_TYPES, DELIVERY_METHODS, PIN_PATTERN } from '../../workflows/definitions';
import { email, instant, isoDay, language, name } from './common';
import { DESTINATIONS } from '../../domain/vocabulary';

const companyId = z.string().regex(/^co_[A-Za-z0-9]{8,40}$/, 'is not a company ID');
export const xsIdPattern = /^xs_[A-Za-z0-9]{8,40}$/;
const xsId = z.string().regex(xsIdPattern, 'is not an XS-ID').meta({ description: 'The card user\'s XS-ID, e.g. xs_…' });
export const applicationIdPattern = /^ca_[A-Za-z0-9]{8,40}$/;
const applicationId = z.string().regex(applicationIdPattern, 'is not a card application ID (ca_ followed by 8-40 letters or digits)');
const actor = z.string().trim().min(1, 'is required').max(100);

// ---- Card users ---------------------------------------------------------------

export const IDENTITY_DOCUMENT_KINDS = ['passport', 'id-card', 'residence-permit'] as const;

export const registerCardUserBody = z
  .strictObject({
    companyId: companyId.meta({ description: 'The employing company; its contract must be approved' }),
    firstName: name,
    lastName: name,
    email,
    language,
    identityDocument: z
      .strictObject({
        kind: z.enum(IDENTITY_DOCUMENT_KINDS, {
          message: 'must be passport, id-card or residence-permit; a driving licence is not accepted as identity document',
        }),
        number: z.string().trim().regex(/^[A-Za-z0-9]{5,20}$/, 'must be the document number (5-20 letters or digits)'),
        expiresOn: isoDay.meta({ description: 'The document must be valid (not expired) at registration' }),
      })
      .meta({
        description:
          'A valid passport or ID card; a Dutch residence permit when employed by a Dutch company without Dutch nationality. ' +
          'A driving licence is not accepted.',
      }),
  })
  .meta({ id: 'RegisterCardUser' });
export type RegisterCardUserBody = z.infer<typeof registerCardUserBody>;

export const xsIdParam = z.strictObject({ xsId });

export const cardUserView = z
  .object({
    xsId: z.string(),
    companyId: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string(),
    language,
    identityDocument: z.object({
      kind: z.enum(IDENTITY_DOCUMENT_KINDS),
      numberEnding: z.string().meta({ description: 'The last 3 characters of the document number' }),
      expiresOn: z.string(),
    }),
  })
  .meta({ id: 'CardUser' });

// ---- Card applications --------------------------------------------------------

export const applyForCardBody = z
  .strictObject({
    applicationId: applicationId.optional().meta({
      description: 'Optional idempotency key: the same ID again returns the existing application instead of a second one',
    }),
    companyId,
    xsId,
    cardType: z.enum(CARD_TYPES).meta({ description: 'A CargoCard needs the company\'s valid transport licence' }),
    deliveryMethod: z.enum(DELIVERY_METHODS),
    destination: z.enum(DESTINATIONS).default('NL').meta({ description: 'Where a card sent by post goes (delivery 5 or 10 working days)' }),
  })
  .meta({ id: 'ApplyForCard' });
export type ApplyForCardBody = z.infer<typeof applyForCardBody>;

export const applicationIdParam = z.strictObject({ applicationId });

export const approvalBody = z
  .strictObject({
    by: z.enum(['card-user', 'back-office', 'service-point']).meta({
      description: '`service-point`: an urgent application checked at the service point on the card user\'s behalf (counts as the card user\'s approval)',
    }),
    approvedBy: actor.meta({ description: 'Who approved: the card user, a back-office user or a service-point employee' }),
  })
  .meta({ id: 'CardApproval' });

export const conversionBody = z.strictObject({ requestedBy: actor.optional() }).meta({ id: 'ConvertToUrgent' });
export const collectorBody = z.strictObject({ name }).meta({ id: 'NameCollector' });
export const pickupBody = z
  .strictObject({ collectedBy: name.meta({ description: 'The card user (name or XS-ID) or the named collector' }) })
  .meta({ id: 'CardPickup' });
export const activationBody = z
  .strictObject({ pin: z.string().regex(PIN_PATTERN, 'must be the 4-digit PIN code') })
  .meta({ id: 'CardActivation' });

export const newPinBody = z
  .strictObject({ requestedBy: name.meta({ description: 'Who at customer service issues the new PIN (audited)' }) })
  .meta({ id: 'NewCardPin' });

const approval = z.object({ by: z.string(), at: instant, atServicePoint: z.boolean().optional() });

export const cardApplicationView = z
  .object({
    applicationId: z.string(),
    workflowId: z.string(),
    companyId: z.string(),
    xsId: z.string(),
    cardType: z.string(),
    deliveryMethod: z.string(),
    destination: z.string(),
    status: z.enum(CARD_APPLICATION_PHASES),
    submittedAt: instant.optional(),
    collectorName: z.string().optional(),
    cardNumber: z.string().optional(),
    approvedAt: instant.optional(),
    producedAt: instant.optional(),
    shippedOn: z.string().optional(),
    expectedDeliveryBy: z.string().optional(),
    collectedAt: instant.optional(),
    collectedBy: z.string().optional(),
    activatedAt: instant.optional(),
    expiresAt: instant.optional(),
    cancelledAt: instant.optional(),
    cancellationReason: z.string().optional().meta({ description: 'Why the application ended without a card (status cancelled)' }),
    plan: z.record(z.string(), z.unknown()).optional().meta({ description: 'The delivery plan: ship and delivery days, or ready day, pickup window and hold' }),
    pin: z
      .object({ failedAttempts: z.number().int(), maxAttempts: z.number().int(), locked: z.boolean(), lockedAt: instant.optional(), reissued: z.number().int() })
      .optional()
      .meta({ description: 'PIN attempts at activation: at maxAttempts wrong PINs activation locks until customer service issues a new PIN' }),
    state: z
      .object({ phase: z.enum(CARD_APPLICATION_PHASES), approvals: z.object({ cardUser: approval.optional(), backoffice: approval.optional() }) })
      .loose()
      .nullable()
      .meta({ description: 'The live state of the workflow (null when it cannot be reached)' }),
  })
  .meta({ id: 'CardApplication' });

export const updateResult = z.record(z.string(), z.unknown()).meta({ id: 'CardApplicationUpdateResult' });
