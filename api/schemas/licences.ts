/** The transport licence of a company with CargoCards, and its watch (PROCESSES.md section 4). */
import { z } from 'zod';
import { documentRef, instant, isoDay } from './common';

export const licenceRenewalBody = z
  .strictObject({
    number: z.string().trim().min(1, 'is required').max(50),
    expiresOn: isoDay.meta({ description: 'The renewed licence is valid through this day; after the current (effective) expiry' }),
    documentRef,
  })
  .meta({ id: 'LicenceRenewal' });

export const bridgingBody = z
  .strictObject({
    until: isoDay.meta({ description: 'The NIWO bridging period ends with this day; after the licence expiry' }),
    proofRef: documentRef,
  })
  .meta({ id: 'LicenceBridging' });

export const licencePlan = z
  .object({
    effectiveExpiresOn: isoDay,
    warnAt: instant.meta({ description: '09:00 on the 5th working day before the effective expiry' }),
    blockAt: instant.meta({ description: '00:00 after the effective expiry: every CargoCard blocked, the contract terminated' }),
  })
  .meta({ id: 'LicencePlan' });

export const licenceState = licencePlan
  .extend({
    companyId: z.string(),
    phase: z.enum(['watching', 'warned', 'blocked']),
    licence: z.object({
      number: z.string(),
      expiresOn: isoDay,
      documentRef: z.string(),
      bridgingUntil: isoDay.optional(),
      bridgingProofRef: z.string().optional(),
    }),
    warnedAt: instant.optional(),
    blockedAt: instant.optional(),
    blockedCards: z.array(z.string()).optional(),
    workflowId: z.string(),
  })
  .meta({ id: 'LicenceWatch' });

export const watchStarted = z.object({ workflowId: z.string(), started: z.boolean() }).meta({ id: 'LicenceWatchStarted' });
