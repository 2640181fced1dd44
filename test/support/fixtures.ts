/**
 * Records and identifiers the integration tests make the same way: random
 * hex ids, card numbers, a company as the contract process leaves it (the one
 * company fixture), a card user, and a registration body for the API.
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
  /** Whether it requested CargoCards at registration; default: whether it has a transport licence (the API requires the pair). */
  requestsCargoCards?: boolean;
  /** Its transport licence, valid through 2099-12-31 unless `expiresOn` says otherwise; null: none. */
  transportLicence?: Partial<{ number: string; expiresOn: string; documentRef: string }> | null;
  /** Default: C and 8 hex digits. */
  customerNumber?: string;
  /** When the contract was submitted and its decision is due (default: now). */
  submittedAt?: Date;
  dueAt?: Date;
}

export interface CompanyFixture {
  companyId: string;
  name: string;
  customerNumber: string;
  /** `contact.<companyId>@haven.example`, unique to the company. */
  contact: string;
}

/**
 * The one company fixture: a company as the contract process leaves it (approved unless told otherwise),
 * with CargoCards requested and a transport licence unless told otherwise, and a contact address of its own.
 */
export async function insertCompany(models: Models, options: CompanyOptions = {}): Promise<CompanyFixture> {
  const companyId = `co_${hex(12)}`;
  const kvk = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  const contact = `contact.${companyId}@haven.example`;
  const name = options.name ?? `Haven Logistiek ${companyId.slice(3, 7)} B.V.`;
  const customerNumber = options.customerNumber ?? `C${hex(8).toUpperCase()}`;
  const licence = options.transportLicence === null
    ? undefined
    : { number: `NIWO-${kvk}`, expiresOn: '2099-12-31', documentRef: 'doc-licence', ...options.transportLicence };
  await models.Company.create({
    _id: companyId,
    name,
    kvkNumber: kvk,
    vatId: `NL${kvk}B01`,
    registrationKey: `${kvk}:NL${kvk}B01`,
    kvkExtract: { documentRef: 'doc-kvk', issuedOn: '2026-01-15' },
    signatory: { name: 'Anna de Vries', email: `signatory.${companyId}@haven.example` },
    contact: { name: 'Jan Jansen', email: contact, language: options.language ?? 'en' },
    customerNumber,
    requestsCargoCards: options.requestsCargoCards ?? licence !== undefined,
    ...(licence ? { transportLicence: licence } : {}),
    contract: { status: options.contract ?? 'approved', submittedAt: options.submittedAt ?? new Date(), dueAt: options.dueAt ?? new Date() },
  });
  return { companyId, name, customerNumber, contact };
}

/** A card user "Anna de Vries" of the company, with a valid passport and an address of their own. */
export async function insertCardUser(models: Models, companyId: string): Promise<{ xsId: string; name: string; email: string }> {
  const xsId = `xs_${hex(12)}`;
  const email = `user.${xsId}@haven.example`;
  await models.CardUser.create({
    _id: xsId,
    companyId,
    firstName: 'Anna',
    lastName: 'de Vries',
    email,
    language: 'en',
    identityDocument: { kind: 'passport', number: 'NX1234567', expiresOn: '2099-01-01' },
  });
  return { xsId, name: 'Anna de Vries', email };
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
