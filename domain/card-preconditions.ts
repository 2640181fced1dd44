/**
 * What every card application needs (PROCESSES.md section 2): an approved
 * contract, a card user of the company with a valid identity document, and for
 * a CargoCard the company's request for CargoCards (so its licence is watched)
 * and a valid transport licence.
 *
 * One rule set for every path that leads to a card: checked when an
 * application is made, a new one, a renewal or a lost card's replacement alike
 * (api/services/card-applications.ts), and again by the workflow when both
 * approvals are in and right before production (activities/cards.ts
 * `checkApplicationPreconditions`), so a document, contract or licence that
 * lapses meanwhile stops the application before a card exists. The facts are
 * read from the records by db/precondition-facts.ts.
 */
export interface RuleBreach {
  field: string;
  message: string;
}

export interface PreconditionRequest {
  companyId: string;
  xsId: string;
  cardType: string;
}

/** The facts the rules read; `null` where the record does not exist. */
export interface PreconditionFacts {
  company: {
    contractStatus: string | undefined;
    requestsCargoCards: boolean;
    licence?: { expiresOn: string; bridgingUntil?: string | undefined } | undefined;
  } | null;
  user: { companyId: string; identityDocumentExpiresOn: string } | null;
}

/** The day a licence is valid through: its expiry, or a NIWO bridging period's end when later. */
export function licenceValidThrough(licence: { expiresOn: string; bridgingUntil?: string | undefined } | undefined): string | undefined {
  return [licence?.expiresOn, licence?.bridgingUntil].filter((d): d is string => Boolean(d)).sort().pop();
}

/** Every rule the request breaks on `today` (a local YYYY-MM-DD day); empty when it may go on. */
export function preconditionBreaches(request: PreconditionRequest, facts: PreconditionFacts, today: string): RuleBreach[] {
  const breaches: RuleBreach[] = [];
  const { company, user } = facts;
  if (!company) breaches.push({ field: 'companyId', message: 'no company with this ID' });
  else if (company.contractStatus !== 'approved') {
    breaches.push({ field: 'companyId', message: `the company's contract is ${company.contractStatus ?? 'missing'}, not approved` });
  }
  if (!user) breaches.push({ field: 'xsId', message: 'no card user with this XS-ID' });
  else if (user.companyId !== request.companyId) breaches.push({ field: 'xsId', message: 'the card user is registered for another company' });
  else if (user.identityDocumentExpiresOn < today) {
    breaches.push({ field: 'xsId', message: `the card user's identity document expired on ${user.identityDocumentExpiresOn}` });
  }
  if (request.cardType === 'CargoCard' && company) {
    if (!company.requestsCargoCards) {
      breaches.push({ field: 'cardType', message: 'the company did not request CargoCards at registration, so no licence watch runs for it' });
    }
    const validThrough = licenceValidThrough(company.licence);
    if (!validThrough) breaches.push({ field: 'cardType', message: "a CargoCard needs the company's valid transport licence; none is on record" });
    else if (validThrough < today) {
      breaches.push({ field: 'cardType', message: `a CargoCard needs a valid transport licence; the company's expired on ${validThrough}` });
    }
  }
  return breaches;
}
