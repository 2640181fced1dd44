/**
 * Records the benchmarks need, written in bulk straight into the database the
 * way the processes leave them (a registered company, an approved contract, a
 * card user, an application waiting for approval). IDs follow the API's
 * patterns so the same records can be driven through the API.
 */
import { randomBytes } from 'node:crypto';
import type { Models } from '../db/models';

export const tag = (): string => randomBytes(6).toString('hex');
const pad = (i: number) => String(i).padStart(6, '0');
const digits = (n: number, i: number) => String(i).padStart(n, '0').slice(-n);

export interface CompanyFixture {
  _id: string;
  name: string;
  customerNumber: string;
  contact: { name: string; email: string; language: 'en' | 'de' };
  contract: { status: 'pending' | 'approved'; submittedAt: Date; dueAt: Date };
  requestsCargoCards: boolean;
  transportLicence?: { number: string; expiresOn: string; documentRef: string };
}

export interface CompanyOptions {
  contract: (i: number) => 'pending' | 'approved';
  /** A CargoCard company with this licence expiry (YYYY-MM-DD). */
  licenceExpiresOn?: string;
}

const DAY = 86_400_000;

export function companyDocs(prefix: string, count: number, options: CompanyOptions): CompanyFixture[] {
  const submittedAt = new Date(Date.now() - 2 * DAY);
  const dueAt = new Date(Date.now() + DAY);
  return Array.from({ length: count }, (_, i) => {
    const id = `co_${prefix}${pad(i)}`;
    return {
      _id: id,
      name: `Bench Haulage ${i} B.V.`,
      kvkNumber: digits(8, i),
      vatId: `NL${digits(9, i)}B01`,
      registrationKey: `bench:${id}`,
      kvkExtract: { documentRef: `kvk-${id}`, issuedOn: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10) },
      signatory: { name: 'Anna de Vries', email: `signatory.${id}@haven.example` },
      contact: { name: 'Piet Bakker', email: `contact.${id}@haven.example`, language: i % 3 === 0 ? 'de' : 'en' },
      customerNumber: `B${prefix}${pad(i)}`,
      requestsCargoCards: options.licenceExpiresOn !== undefined,
      ...(options.licenceExpiresOn ? { transportLicence: { number: `TL-${prefix}-${i}`, expiresOn: options.licenceExpiresOn, documentRef: `tl-${id}` } } : {}),
      contract: { status: options.contract(i), submittedAt, dueAt },
    } as CompanyFixture;
  });
}

export interface CardUserFixture {
  _id: string;
  companyId: string;
  firstName: string;
  lastName: string;
}

export function cardUserDocs(prefix: string, companies: Array<{ _id: string }>, perCompany: number): CardUserFixture[] {
  const expiresOn = new Date(Date.now() + 3 * 365 * DAY).toISOString().slice(0, 10);
  return companies.flatMap((c, ci) =>
    Array.from({ length: perCompany }, (_, j) => {
      const i = ci * perCompany + j;
      return {
        _id: `xs_${prefix}${pad(i)}`,
        companyId: c._id,
        firstName: 'Jan',
        lastName: `Jansen ${i}`,
        email: `user.${prefix}${pad(i)}@haven.example`,
        language: i % 2 ? 'en' : 'de',
        identityDocument: { kind: 'passport', number: `NX${pad(i)}`, expiresOn },
      };
    }),
  );
}

/** Inserts documents in batches (mongoose validates them as the models say). */
export async function insertAll<T>(model: { insertMany(docs: T[], options: { ordered: boolean }): Promise<unknown> }, docs: T[], batch = 500): Promise<void> {
  for (let i = 0; i < docs.length; i += batch) await model.insertMany(docs.slice(i, i + batch), { ordered: false });
}

export async function insertCompanies(models: Models, docs: CompanyFixture[]): Promise<void> {
  await insertAll(models.Company as never, docs);
}

/** The body of `POST /v1/companies` for a registration with KvK number `n` (unique per run), its extract issued on `issuedOn`. */
export function registrationBody(n: number, issuedOn: string) {
  return {
    companyName: `Bench Registration ${n} B.V.`,
    kvkNumber: String(n),
    vatId: `NL${String(n).padStart(9, '0')}B01`,
    kvkExtract: { documentRef: `kvk-${n}`, issuedOn },
    signatory: { name: 'Anna de Vries', email: `anna.${n}@haven.example`, listedInKvkExtract: true },
    contact: { name: 'Piet Bakker', email: `piet.${n}@haven.example`, language: 'en' },
  };
}
