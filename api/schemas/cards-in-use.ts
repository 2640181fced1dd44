/** Cards in use (PROCESSES.md section 3): blocking, loss, renewal, and the card itself. */
import { z } from 'zod';
import { instant, isoDay } from './common';
import { CARD_STATUSES, DELIVERY_METHODS, DESTINATIONS } from '../../domain/vocabulary';

const actor = z.string().trim().min(1, 'is required').max(100).meta({ description: 'Who asks (a company or back-office user ID)' });
const reason = z.string().trim().min(1, 'is required').max(500);
const deliveryMethod = z.enum(DELIVERY_METHODS);
const destination = z.enum(DESTINATIONS);

export const cardNumberParam = z.strictObject({
  cardNumber: z.string().regex(/^[A-Za-z0-9]{4,32}$/, 'is not a card number').meta({ example: 'XK0123456789' }),
});

export const scheduleBlockBody = z
  .strictObject({
    on: isoDay.meta({ description: 'The day the block takes effect, at 00:00 Europe/Amsterdam: today (at once) or a later day before expiry' }),
    reason,
    requestedBy: actor,
  })
  .meta({ id: 'ScheduleBlock' });

export const renewalBody = z
  .strictObject({
    requestedBy: actor,
    deliveryMethod: deliveryMethod.optional().meta({ description: 'Default: as the card being renewed was delivered' }),
    destination: destination.optional().meta({ description: 'Default: as the card being renewed was delivered' }),
  })
  .meta({ id: 'CardRenewal' });

export const lossBody = z
  .strictObject({ reason, requestedBy: actor, deliveryMethod, destination })
  .meta({ id: 'CardLoss', description: 'A lost card is replaced first (a new application), then blocked at once' });

const scheduledBlock = z
  .object({ on: isoDay, reason: z.string(), requestedBy: z.string(), takesEffectAt: instant, scheduledAt: instant })
  .meta({ id: 'ScheduledBlock' });

export const blockResult = z
  .object({ status: z.enum(['scheduled', 'blocked']), block: scheduledBlock })
  .meta({ id: 'BlockResult' });

export const replacementView = z
  .object({
    applicationId: z.string(),
    workflowId: z.string(),
    reason: z.enum(['renewal', 'lost']),
    requestedBy: z.string(),
    requestedAt: instant,
  })
  .meta({ id: 'Replacement', description: 'The card application that replaces the card' });

export const lossResult = z.object({ replacement: replacementView, blockedAt: instant }).meta({ id: 'LossResult' });

export const cardView = z
  .object({
    cardNumber: z.string(),
    companyId: z.string(),
    xsId: z.string(),
    cardType: z.string(),
    status: z.enum(CARD_STATUSES),
    activatedAt: instant.optional(),
    expiresAt: instant.optional(),
    renewalWindowOpensAt: instant.optional(),
    expiring: z.boolean().meta({ description: 'The renewal window has opened: the card can be renewed until it expires' }),
    scheduledBlock: scheduledBlock.omit({ scheduledAt: true }).optional(),
    blockedAt: instant.optional(),
    blockReason: z.string().optional(),
    workflowId: z.string(),
  })
  .meta({ id: 'Card' });
