/** Companies and their contracts (PROCESSES.md section 1). */
import { z } from 'zod';
import { documentRef, email, instant, isoDay, language, name } from './common';
import { CONTRACT_STATUSES } from '../../domain/vocabulary';

export const registerCompanyBody = z
  .strictObject({
    companyName: name,
    kvkNumber: z.string().regex(/^\d{8}$/, 'must be the 8-digit Chamber of Commerce (KvK) number'),
    vatId: z
      .string()
      .transform((s) => s.replace(/[\s.]/g, '').toUpperCase())
      .pipe(z.string().regex(/^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z]{2,12}$/, 'must be an EU VAT ID, e.g. NL123456789B01')),
    kvkExtract: z.strictObject({
      documentRef,
      issuedOn: isoDay.meta({ description: 'Issue date of the Chamber of Commerce extract' }),
    }),
    signatory: z
      .strictObject({
        name,
        email,
        listedInKvkExtract: z.literal(true, { message: 'only the authorised signatory listed in the extract may register' }),
      })
      .meta({ description: 'The person registering: must be the authorised signatory in the extract' }),
    contact: z.strictObject({ name, email, language }),
    requestsCargoCards: z.boolean().default(false),
    transportLicence: z
      .strictObject({ number: z.string().trim().min(1).max(50), expiresOn: isoDay, documentRef })
      .optional()
      .meta({ description: 'Required when CargoCards will be requested' }),
  })
  .meta({ id: 'RegisterCompany' });
export type RegisterCompanyBody = z.infer<typeof registerCompanyBody>;

export const contractDecisionBody = z
  .strictObject({
    outcome: z.enum(['approved', 'rejected']),
    reason: z.string().trim().min(1).max(2000).optional().meta({ description: 'Required when rejecting; sent to the company' }),
    decidedBy: z.string().trim().min(1).max(100).meta({ description: 'Back-office user ID' }),
  })
  .refine((d) => d.outcome !== 'rejected' || d.reason, { message: 'a rejection needs a reason', path: ['reason'] })
  .meta({ id: 'ContractDecision' });

export const companyNameChangeBody = z
  .strictObject({
    companyName: name,
    changedBy: z.string().trim().min(1).max(100).meta({ description: 'Back-office user ID' }),
  })
  .meta({
    id: 'CompanyNameChange',
    description: 'A changed company name updates the company; a changed KvK number or VAT ID needs a new registration',
  });

export const companyIdParam = z.strictObject({ companyId: z.string().regex(/^co_[A-Za-z0-9]{8,40}$/, 'is not a company ID') });

export const contractView = z
  .object({
    status: z.enum(CONTRACT_STATUSES),
    submittedAt: instant,
    dueAt: instant,
    slaBreached: z.boolean(),
    decidedAt: instant.optional(),
    decidedBy: z.string().optional(),
    rejectionReason: z.string().optional(),
  })
  .meta({ id: 'Contract' });

export const companyView = z
  .object({
    companyId: z.string(),
    companyName: z.string(),
    customerNumber: z.string(),
    kvkNumber: z.string(),
    vatId: z.string(),
    requestsCargoCards: z.boolean(),
    contract: contractView,
    workflowId: z.string(),
  })
  .meta({ id: 'Company' });

export const decisionResult = z
  .object({ outcome: z.enum(['approved', 'rejected']), decidedAt: instant, customerNumber: z.string().optional() })
  .meta({ id: 'ContractDecisionResult' });
