/**
 * Card users (XS-ID): the identity a card is issued to, registered by a
 * company with an approved contract.
 *
 * Identity documents (PROCESSES.md section 2, kept simple): a passport, an ID
 * card or a residence permit is accepted (the residence permit is the document
 * of someone employed by a Dutch company without Dutch nationality); a driving
 * licence is not. The document must be valid (not expired) on the day of
 * registration, and again on the day a card is applied for.
 */
import type { CardUserDoc } from '../../db/models';
import { notFound, unprocessable, type FieldError } from '../errors';
import type { RegisterCardUserBody } from '../schemas/cards';
import { newId } from './companies';
import type { ServiceDeps } from './deps';
import type { Language } from '../../domain/vocabulary';

export function cardUserView(u: CardUserDoc & { _id: string }) {
  return {
    xsId: u._id,
    companyId: u.companyId,
    firstName: u.firstName,
    lastName: u.lastName,
    email: u.email,
    language: u.language as Language,
    identityDocument: {
      kind: u.identityDocument!.kind as 'passport' | 'id-card' | 'residence-permit',
      numberEnding: u.identityDocument!.number.slice(-3),
      expiresOn: u.identityDocument!.expiresOn,
    },
  };
}

/** The company may have card users: it exists and its contract is approved. */
export async function companyErrors(deps: ServiceDeps, companyId: string): Promise<FieldError[]> {
  const company = await deps.models.Company.findById(companyId, { contract: 1 }).lean();
  if (!company) return [{ field: 'companyId', message: 'no company with this ID' }];
  if (company.contract?.status !== 'approved') {
    return [{ field: 'companyId', message: `the company's contract is ${company.contract?.status ?? 'missing'}, not approved` }];
  }
  return [];
}

export function createCardUserService(deps: ServiceDeps) {
  const { CardUser } = deps.models;
  const now = deps.now ?? (() => new Date());

  return {
    async register(body: RegisterCardUserBody) {
      const today = deps.calendar.dayOf(now());
      const errors = await companyErrors(deps, body.companyId);
      if (body.identityDocument.expiresOn < today) {
        errors.push({ field: 'identityDocument.expiresOn', message: 'the identity document has expired' });
      }
      if (errors.length) throw unprocessable('the card user cannot be registered', errors);
      const created = await CardUser.create({
        _id: newId('xs'),
        companyId: body.companyId,
        firstName: body.firstName,
        lastName: body.lastName,
        email: body.email,
        language: body.language,
        identityDocument: { ...body.identityDocument, number: body.identityDocument.number.toUpperCase() },
      });
      return cardUserView(created.toObject() as CardUserDoc & { _id: string });
    },

    async get(xsId: string) {
      const user = await CardUser.findById(xsId).lean();
      if (!user) throw notFound(`card user ${xsId} not found`);
      return cardUserView(user as CardUserDoc & { _id: string });
    },
  };
}
