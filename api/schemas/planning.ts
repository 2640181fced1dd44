/** Planning questions of customer service, answered by the calendar the workflows use. */
import { z } from 'zod';
import { instant, isoDay } from './common';
import { DELIVERY_METHODS, DESTINATIONS } from '../../domain/vocabulary';

const localInstant = z.string().meta({ format: 'date-time', description: 'ISO 8601 with the Europe/Amsterdam offset' });

export const cardDeliveryQuery = z
  .strictObject({
    approvedAt: instant.meta({ description: 'The moment of the last approval' }),
    method: z.enum(DELIVERY_METHODS),
    destination: z.enum(DESTINATIONS).default('NL'),
  })
  .meta({ id: 'CardDeliveryQuery' });

export const cardDeliveryPlan = z
  .union([
    z.object({ shipOn: isoDay, expectedDeliveryBy: isoDay }),
    z.object({ pickupFrom: localInstant, pickupUntil: localInstant, holdUntil: localInstant }),
  ])
  .meta({ id: 'CardDeliveryPlan' });

export const licenceWarningQuery = z.strictObject({ expiresOn: isoDay });
export const licenceWarningPlan = z.object({ warnAt: localInstant, blockAt: localInstant }).meta({ id: 'LicenceWarningPlan' });

export const contractDueQuery = z.strictObject({ submittedAt: instant });
export const contractDuePlan = z.object({ dueAt: localInstant }).meta({ id: 'ContractDuePlan' });

export const digestDatesQuery = z.strictObject({
  year: z.coerce.number({ message: 'must be a year' }).int().min(2000, 'must be 2000 or later').max(2100, 'must be 2100 or earlier'),
});
export const digestDatesPlan = z.object({ dates: z.array(localInstant) }).meta({ id: 'DigestDates' });
