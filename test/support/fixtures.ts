/**
 * Records and identifiers the integration tests make the same way: random
 * hex ids, card numbers, and a company as the contract process leaves it,
 * with a contact address unique to it.
 */
import { randomBytes } from 'node:crypto';
import type { Models } from '../../db/models';
import type { BusinessCalendar } from '../../domain/calendar';

/** `n` random hex characters. */
export const hex = (n: number): string => randomBytes(n).toString('hex').slice(0, n);

/** A random card number: XK and ten digits. */
export const newCardNumber = (): string => `XK${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;

export interface CompanyOptions {
  name?: string;
  language?: 'en' | 'de';
  contract?: 'approved' | 'pending';
  requestsCargoCards?: boolean;
  transportLicence?: { number: string; expiresOn: string; documentRef: string };
}

/** A company with an approved contract unless told otherwise; its contact is `contact.<companyId>@haven.example`. */
export async function insertCompany(models: Models, options: CompanyOptions = {}): Promise<{ companyId: string; contact: string }> {
  const companyId = `co_${hex(12)}`;
  const contact = `contact.${companyId}@haven.example`;
  await models.Company.create({
    _id: companyId,
    name: options.name ?? 'Haven Logistiek B.V.',
    kvkNumber: hex(8),
    vatId: `NL${hex(9)}B01`,
    registrationKey: `k:${companyId}`,
    kvkExtract: { documentRef: 'doc-kvk', issuedOn: '2026-01-15' },
    signatory: { name: 'Anna de Vries', email: 'anna@haven.example' },
    contact: { name: 'Jan Jansen', email: contact, language: options.language ?? 'en' },
    customerNumber: `C${hex(8)}`,
    ...(options.requestsCargoCards === undefined ? {} : { requestsCargoCards: options.requestsCargoCards }),
    ...(options.transportLicence ? { transportLicence: options.transportLicence } : {}),
    contract: { status: options.contract ?? 'approved', submittedAt: new Date(), dueAt: new Date() },
  });
  return { companyId, contact };
}

/** `n` random decimal digits. */
export const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

/** A valid body for POST /v1/companies, with fresh KvK and VAT numbers and a contact address of its own. */
export function companyRegistration(calendar: BusinessCalendar, overrides: Record<string, unknown> = {}) {
  const id = digits(9);
  const today = calendar.dayOf(new Date());
  return {
    companyName: 'Rotterdam Haulage B.V.',
    kvkNumber: digits(8),
    vatId: `NL${id}B01`,
    kvkExtract: { documentRef: 'doc-kvk-1', issuedOn: calendar.addDays(today, -10) },
    signatory: { name: 'Sanne Signer', email: 'sanne@haulage.example', listedInKvkExtract: true },
    contact: { name: 'Kees Contact', email: `contact-${id}@haulage.example`, language: 'en' },
    requestsCargoCards: true,
    transportLicence: { number: `NIWO-${id}`, expiresOn: calendar.addDays(today, 365), documentRef: 'doc-licence-1' },
    ...overrides,
  };
}
