/**
 * Shared by the card tests: the project's search attributes on the Java
 * time-skipping server (it refuses attributes it does not know), and the
 * records a card application needs (a company with an approved contract and
 * a card user), with addresses unique to the test.
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Models } from '../../db/models';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/definitions';

export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const types = temporal.api.enums.v1.IndexedValueType;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => [name, types[`INDEXED_VALUE_TYPE_${type}` as keyof typeof types]]),
    ),
  });
}

export const alnum = (n: number): string => randomBytes(n).toString('hex').slice(0, n);

export interface CompanyFixture {
  companyId: string;
  customerNumber: string;
  contact: string;
}

/** A company as the contract process leaves it: approved unless told otherwise, with a transport licence valid through `licenceExpiresOn`. */
export async function createCompany(
  models: Models,
  options: { contract?: 'pending' | 'approved'; licenceExpiresOn?: string | null } = {},
): Promise<CompanyFixture> {
  const companyId = `co_${alnum(12)}`;
  const kvk = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  const contact = `contact.${companyId}@haven.example`;
  const customerNumber = `C${alnum(8).toUpperCase()}`;
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
    ...(options.licenceExpiresOn === null
      ? {}
      : { transportLicence: { number: `NIWO-${kvk}`, expiresOn: options.licenceExpiresOn ?? '2099-12-31', documentRef: 'doc-licence' } }),
    contract: { status: options.contract ?? 'approved', submittedAt: new Date(), dueAt: new Date() },
  });
  return { companyId, customerNumber, contact };
}

/** A card user "Anna de Vries" with a valid passport. */
export async function createCardUser(models: Models, companyId: string): Promise<{ xsId: string; name: string; email: string }> {
  const xsId = `xs_${alnum(12)}`;
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
