/** Field schemas shared by the API's resources. */
import { z } from 'zod';
import { isIsoDay } from '../../domain/calendar';
import { LANGUAGES } from '../../domain/vocabulary';

export const isoDay = z
  .string()
  .refine((s) => isIsoDay(s), 'must be a real date as YYYY-MM-DD')
  .meta({ format: 'date', example: '2027-03-31' });

export const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant with an offset' });
export const language = z.enum(LANGUAGES).meta({ description: 'Language of the emails' });
// The part before the @ has at most 64 characters (RFC 5321), as the `email` format of the OpenAPI document says.
export const email = z
  .email({ message: 'must be an email address' })
  .max(254)
  .refine((s) => s.lastIndexOf('@') <= 64, 'must be an email address');
export const name = z.string().trim().min(1, 'is required').max(200);
export const id = z.string().regex(/^[a-z]{2}_[A-Za-z0-9]{8,40}$/, 'is not a valid ID');
export const documentRef = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(200)
  .meta({ description: 'Reference of an uploaded document in the document store' });

/** Extension members beyond these (RFC 9457 allows them), e.g. the existing `companyId` of a 409, are open. */
export const problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(
        z.object({
          field: z.string(),
          message: z.string(),
          code: z.string().optional().meta({ description: 'Which rule, where the rules have names (e.g. the password policy)' }),
          reason: z.object({ de: z.string(), en: z.string() }).optional().meta({ description: 'The rule broken, in German and English (the password rules)' }),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
