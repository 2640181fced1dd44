/**
 * Shared by the card tests: the records a card application needs (a company
 * with an approved contract and a card user), with addresses unique to the test.
 */
import type { Models } from '../../db/models';
import { hex } from '../support/fixtures';

export interface CompanyFixture {
  companyId: string;
  customerNumber: string;
  contact: string;
}

/** A company as the contract process leaves it: approved unless told otherwise, with a transport licence valid through `licenceExpiresOn`. */
export async function createCompany(
  models: Models,
  options: { contract?: 'pending' | 'approved'; licenceExpiresOn?: string | null; requestsCargoCards?: boolean } = {},
): Promise<CompanyFixture> {
  const companyId = `co_${hex(12)}`;
  const kvk = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  const contact = `contact.${companyId}@haven.example`;
  const customerNumber = `C${hex(8).toUpperCase()}`;
  await models.Company.create({
    _id: companyId,
    name: `Haven Logistiek ${companyId.slice(3, 7)} B.V.`,
    kvkNumber: kvk,
    vatId: `NL${kvk}B01`,
    registrationKey: `${kvk}:NL${kvk}B01`,
    kvkExtract: { documentRef: 'doc-kvk', issuedOn: '2026-01-15' },
    signatory: { name: 'Anna Signer', email: `signatory.${companyId}@haven.example` },
    contact: { name: 'Jan Jansen', email: contact, language: 'en' },
    customerNumber,
    // A company with a transport licence requested CargoCards at registration (companies.ts requires the pair).
    requestsCargoCards: options.requestsCargoCards ?? options.licenceExpiresOn !== null,
    ...(options.licenceExpiresOn === null
      ? {}
      : { transportLicence: { number: `NIWO-${kvk}`, expiresOn: options.licenceExpiresOn ?? '2099-12-31', documentRef: 'doc-licence' } }),
    contract: { status: options.contract ?? 'approved', submittedAt: new Date(), dueAt: new Date() },
  });
  return { companyId, customerNumber, contact };
}

/** A card user "Anna de Vries" with a valid passport. */
export async function createCardUser(models: Models, companyId: string): Promise<{ xsId: string; name: string; email: string }> {
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
