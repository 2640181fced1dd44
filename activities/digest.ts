/**
 * The monthly digest's side effects: paging the companies, and per company
 * reading its open items and mailing them once through the outbox, keyed
 * `digest:<companyId>:<period>` whatever run, retry or backfill sends it.
 *
 * Each kind of open item is read by one small function below (`openItemReaders`),
 * from the company's records loaded once per company (two queries: the cards
 * around their expiry, the open applications); when the records change, adapt
 * that function and its loader only.
 */
import { BusinessCalendar, type IsoDay } from '../domain/calendar';
import {
  countOpenItems,
  DIGEST_CONTRACT_STATUSES,
  EXPIRED_CARD_LISTED_DAYS,
  type ApplicationItem,
  type CardItem,
  type OpenItems,
} from '../domain/digest';
import type { BusinessRules } from '../domain/rules';
import type { CardApplicationDoc, CardDoc, CompanyDoc, Models } from '../db/models';
import type { PickupPlan } from '../domain/card-delivery';
import { digestTemplateData } from '../email/templates/digest';
import type { Mailer } from '../email/mailer';
import { digestEmailKey, effectiveExpiry, notFound, type CompanyDigestOutcome } from '../workflows/definitions';
import { createEmailActivities, outboxKey } from './email';
import { cargoCardCompanyIds } from './licences';

const DAY_MS = 86_400_000;
/** An email lists at most this many items of one kind. */
const MAX_ITEMS_PER_KIND = 100;

const digestCompanies = { 'contract.status': { $in: [...DIGEST_CONTRACT_STATUSES] } };

type Company = CompanyDoc & { _id: string };
type Card = CardDoc & { _id: string };
type Application = CardApplicationDoc & { _id: string };

/** What the readers share: the company, the clock, and the company's records, each loaded once. */
export interface ItemContext {
  calendar: BusinessCalendar;
  company: Company;
  now: Date;
  /** Cards that expire or expired around now (the only ones that can be open items). */
  cards: () => Promise<Card[]>;
  /** Applications in a phase that can be an open item. */
  applications: () => Promise<Application[]>;
  /** "First Last" of each card user, by XS-ID. */
  holders: (xsIds: string[]) => Promise<Map<string, string>>;
  /** The company holds or applies for a CargoCard (its licence is watched whatever its registration said). */
  cargoCards: () => Promise<boolean>;
}

const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
};

export function itemContext(models: Models, calendar: BusinessCalendar, company: Company, now: Date): ItemContext {
  const renewalWindowMs = (7 * calendar.rules.renewalWindowWeeks + 1) * DAY_MS;
  return {
    calendar,
    company,
    now,
    cards: once(
      async () =>
        (await models.Card.find({
          companyId: company._id,
          status: { $in: ['active', 'expired'] },
          expiresAt: { $gt: new Date(now.getTime() - EXPIRED_CARD_LISTED_DAYS * DAY_MS), $lte: new Date(now.getTime() + renewalWindowMs) },
        })
          .sort({ expiresAt: 1 })
          .limit(2 * MAX_ITEMS_PER_KIND)
          .lean()) as Card[],
    ),
    applications: once(
      async () =>
        (await models.CardApplication.find({ companyId: company._id, status: { $in: ['awaiting-approvals', 'held-for-pickup'] } })
          .sort({ _id: 1 })
          .limit(2 * MAX_ITEMS_PER_KIND)
          .lean()) as Application[],
    ),
    cargoCards: once(async () => (await cargoCardCompanyIds(models, [company._id])).size > 0),
    async holders(xsIds) {
      if (xsIds.length === 0) return new Map();
      const users = await models.CardUser.find({ _id: { $in: [...new Set(xsIds)] } }, { firstName: 1, lastName: 1 }).lean();
      return new Map(users.map((u) => [String(u._id), `${u.firstName} ${u.lastName}`]));
    },
  };
}

async function cardItems(ctx: ItemContext, cards: Card[]): Promise<CardItem[]> {
  const names = await ctx.holders(cards.map((c) => c.xsId));
  return cards.slice(0, MAX_ITEMS_PER_KIND).map((c) => ({
    cardNumber: c._id,
    cardType: c.cardType,
    holder: names.get(c.xsId) ?? c.xsId,
    day: ctx.calendar.dayOf(c.expiresAt!),
  }));
}

/** One reader per kind of open item (PROCESSES.md section 5). */
export const openItemReaders = {
  /** "A contract pending". */
  async contractPending({ company, calendar }: ItemContext): Promise<OpenItems['contractPending']> {
    const c = company.contract;
    return c?.status === 'pending' ? { submittedOn: calendar.dayOf(c.submittedAt), dueOn: calendar.dayOf(c.dueAt) } : null;
  },

  /** "Applications waiting for a decision or an approval": not yet approved by the card user and the back-office. */
  async applications(ctx: ItemContext): Promise<ApplicationItem[]> {
    const waiting = (await ctx.applications()).filter((a) => a.status === 'awaiting-approvals').slice(0, MAX_ITEMS_PER_KIND);
    const names = await ctx.holders(waiting.map((a) => a.xsId));
    return waiting.map((a) => ({
      applicationId: a._id,
      cardType: a.cardType,
      holder: names.get(a.xsId) ?? a.xsId,
      submittedOn: ctx.calendar.dayOf(a.submittedAt ?? a.createdAt),
      waitingFor:
        !a.cardUserApprovedAt && !a.backofficeApprovedAt ? 'both'
        : !a.cardUserApprovedAt ? 'card-user'
        : 'back-office',
    }));
  },

  /** "Cards held for pickup": the application's pickup plan says from when and until when. */
  async heldCards(ctx: ItemContext): Promise<CardItem[]> {
    const held = (await ctx.applications()).filter((a) => a.status === 'held-for-pickup').slice(0, MAX_ITEMS_PER_KIND);
    const names = await ctx.holders(held.map((a) => a.xsId));
    return held.map((a) => {
      const plan = a.plan as Partial<PickupPlan> | undefined;
      return {
        cardNumber: a.cardNumber ?? '',
        cardType: a.cardType,
        holder: names.get(a.xsId) ?? a.xsId,
        day: plan?.readyOn ?? ctx.calendar.dayOf(a.producedAt ?? a.updatedAt),
        ...(plan?.holdUntil ? { until: ctx.calendar.dayOf(new Date(plan.holdUntil)) } : {}),
      };
    });
  },

  /** "Cards expiring": active, and the renewal window (rules.renewalWindowWeeks) has opened. */
  async expiringCards(ctx: ItemContext): Promise<CardItem[]> {
    const now = ctx.now.getTime();
    const expiring = (await ctx.cards()).filter(
      (c) => c.status === 'active' && c.expiresAt!.getTime() > now && ctx.calendar.renewalWindowOpensAt(c.expiresAt!).getTime() <= now,
    );
    return cardItems(ctx, expiring);
  },

  /** "Cards expired": in the last EXPIRED_CARD_LISTED_DAYS days, not blocked. */
  async expiredCards(ctx: ItemContext): Promise<CardItem[]> {
    return cardItems(ctx, (await ctx.cards()).filter((c) => c.expiresAt!.getTime() <= ctx.now.getTime()));
  },

  /**
   * "Licence warnings": a watched company (it requested, holds or applies for
   * CargoCards) whose transport licence (or NIWO bridging period) ends within
   * the renewal window and has not ended.
   */
  async licence({ company, calendar, now, cargoCards }: ItemContext): Promise<OpenItems['licence']> {
    const licence = company.transportLicence;
    if (!licence || company.contract?.status !== 'approved' || !(company.requestsCargoCards || (await cargoCards()))) return null;
    const expiresOn: IsoDay = effectiveExpiry({ expiresOn: licence.expiresOn, ...(licence.bridgingUntil ? { bridgingUntil: licence.bridgingUntil } : {}) });
    const today = calendar.dayOf(now);
    const windowOpens = calendar.addDays(expiresOn, -7 * calendar.rules.renewalWindowWeeks);
    return today >= windowOpens && today <= expiresOn ? { number: licence.number, expiresOn, bridging: expiresOn !== licence.expiresOn } : null;
  },
};

export async function readOpenItems(ctx: ItemContext): Promise<OpenItems> {
  const r = openItemReaders;
  return {
    contractPending: await r.contractPending(ctx),
    applications: await r.applications(ctx),
    heldCards: await r.heldCards(ctx),
    expiringCards: await r.expiringCards(ctx),
    expiredCards: await r.expiredCards(ctx),
    licence: await r.licence(ctx),
  };
}

export function createDigestActivities(deps: { models: Models; mailer: Mailer; rules: BusinessRules; backofficeLead: string }) {
  const { Company, EmailOutbox } = deps.models;
  const calendar = new BusinessCalendar(deps.rules);
  const { sendEmail } = createEmailActivities(deps);

  return {
    async countDigestCompanies(): Promise<number> {
      return Company.countDocuments(digestCompanies);
    },

    /** One page of company IDs, in ID order, after the cursor. */
    async listDigestCompanies(input: { after: string | null; limit: number }): Promise<string[]> {
      const filter = input.after ? { ...digestCompanies, _id: { $gt: input.after } } : digestCompanies;
      const page = await Company.find(filter, { _id: 1 }).sort({ _id: 1 }).limit(input.limit).lean();
      return page.map((c) => String(c._id));
    },

    /** Mails the company's open items for the period, at most once ever; no open items, no email. */
    async sendCompanyDigest(input: { companyId: string; period: string }): Promise<CompanyDigestOutcome> {
      const key = digestEmailKey(input.companyId, input.period);
      const earlier = await EmailOutbox.findById(outboxKey(key), { status: 1 }).lean();
      if (earlier?.status === 'sent') return 'already-sent';

      const company = await Company.findById(input.companyId).lean();
      if (!company) throw notFound(`company ${input.companyId} not found`);
      const now = new Date();
      const items = await readOpenItems(itemContext(deps.models, calendar, company as Company, now));
      if (countOpenItems(items) === 0) return 'skipped-empty';

      const sent = await sendEmail({
        key,
        to: { kind: 'company-contact', companyId: input.companyId },
        template: 'monthly-digest',
        data: digestTemplateData({ companyName: company.name, period: input.period, asOf: calendar.dayOf(now), items }),
      });
      return sent.outcome;
    },
  };
}
