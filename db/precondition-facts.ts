/** The records the card-application rules read (domain/card-preconditions.ts), for the API and the workflow's activity alike. */
import type { PreconditionFacts, PreconditionRequest } from '../domain/card-preconditions';
import type { Models } from './models';

/** Two reads: the company (contract, request, licence) and the card user (company, identity document). */
export async function loadPreconditionFacts(models: Models, request: PreconditionRequest): Promise<PreconditionFacts> {
  const [company, user] = await Promise.all([
    models.Company.findById(request.companyId, { contract: 1, requestsCargoCards: 1, transportLicence: 1 }).lean(),
    models.CardUser.findById(request.xsId, { companyId: 1, identityDocument: 1 }).lean(),
  ]);
  const licence = company?.transportLicence;
  return {
    company: company
      ? {
          contractStatus: company.contract?.status,
          requestsCargoCards: Boolean(company.requestsCargoCards),
          ...(licence ? { licence: { expiresOn: licence.expiresOn, bridgingUntil: licence.bridgingUntil ?? undefined } } : {}),
        }
      : null,
    user: user ? { companyId: user.companyId, identityDocumentExpiresOn: user.identityDocument!.expiresOn } : null,
  };
}
