/** Payment terminals (docs/accounts-terminals.md): the Terminal-ID and customer number pair proves a portal user's customer. */
import { z } from 'zod';
import { instant } from './common';

/** As printed on the terminal; compared upper-cased. */
export const terminalId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{4,20}$/, 'is not a Terminal-ID')
  .transform((s) => s.toUpperCase())
  .meta({ description: 'The Terminal-ID printed on the terminal (4-20 letters, digits or hyphens; case does not matter)', example: '40123456' });
export const terminalCustomerNumber = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,20}$/, 'is not a customer number')
  .meta({ description: 'Customer number (alias L-Debitor-Nummer, on the invoice)' });
const by = z.string().trim().min(1, 'is required').max(100).meta({ description: 'Back-office user ID' });
const text = (description: string) => z.string().trim().min(1, 'is required').max(200).meta({ description });

export const terminalIdParam = z.strictObject({ terminalId });
export const registerTerminalBody = z
  .strictObject({
    terminalId,
    customerNumber: terminalCustomerNumber,
    location: text('Where the terminal stands (shop, address)'),
    model: text('Terminal model, e.g. Move/5000'),
    by,
  })
  .meta({ id: 'RegisterTerminal' });
export const retireTerminalBody = z
  .strictObject({ by, reason: z.string().trim().min(1, 'is required').max(500).optional() })
  .meta({ id: 'RetireTerminal' });
export const terminalListQuery = z.strictObject({ customerNumber: terminalCustomerNumber }).meta({ id: 'TerminalListQuery' });

export const terminalView = z
  .object({
    terminalId: z.string(),
    customerNumber: z.string(),
    location: z.string(),
    model: z.string(),
    status: z.enum(['active', 'retired']),
    registeredAt: instant,
    retiredAt: instant.optional(),
    retireReason: z.string().optional(),
  })
  .meta({ id: 'Terminal' });
export const terminalList = z.object({ terminals: z.array(terminalView) }).meta({ id: 'TerminalList' });
