/**
 * The seeded data set, record by record: pure functions of (index, sizes, the
 * run's reference instant), each drawing from a random stream of its own
 * (seed/random.ts), so a record is the same whichever order or chunk it is
 * written in. That is what makes the seed deterministic and resumable.
 *
 * Shapes follow the project's models (db/models) and what the API and the
 * workflows write for a case in that state.
 */
import { createHash } from 'node:crypto';
import type { BusinessCalendar } from '../domain/calendar';
import type { CardType } from '../workflows/definitions/card-application';
import { seededRandom, type Random } from './random';

export interface SeedSizes {
  companies: number;
  cardUsers: number;
  /** One current card per card user at most; issue dates over the last five years. */
  cards: number;
  /** Applications open now (awaiting both approvals, their workflows running). */
  openApplications: number;
}

/**
 * The data set's version: raise it when a change here makes new data, so the
 * cached data sets of seed/dataset.ts are built again instead of reused.
 */
export const SEED_VERSION = 1;

export const SIZES: Record<'realistic' | 'small' | 'tiny', SeedSizes> = {
  realistic: { companies: 5000, cardUsers: 60_000, cards: 60_000, openApplications: 1800 },
  small: { companies: 100, cardUsers: 1200, cards: 1200, openApplications: 36 },
  /** For the test: a handful of each. */
  tiny: { companies: 12, cardUsers: 24, cards: 24, openApplications: 3 },
};

export const DAY = 86_400_000;
const YEAR = 365 * DAY;
/** A card is valid five years (PROCESSES.md section 3). */
export const CARD_YEARS = 5;
/** Applications of the last two years are kept (older ones are archived). */
const APPLICATION_YEARS = 2;
/** Share of applications that ended cancelled (a rule no longer held, the contract ended). */
const CANCELLED_SHARE = 0.08;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
export const companyId = (i: number) => `co_seed${pad(i, 6)}`;
export const xsId = (i: number) => `xs_seed${pad(i, 7)}`;
export const cardNumber = (i: number) => `SK${pad(i, 10)}`;
export const applicationId = (kind: 'card' | 'open' | 'cancelled', i: number) => `ca_seed${kind[0]}${pad(i, 7)}`;
export const accountId = (i: number) => `ac_seed${pad(i, 6)}`;

const FIRST = ['Anna', 'Bram', 'Chris', 'Daan', 'Eva', 'Fleur', 'Gijs', 'Hanna', 'Ilse', 'Jan', 'Kees', 'Lotte', 'Milan', 'Noor', 'Otto', 'Pien', 'Ruben', 'Sanne', 'Tim', 'Vera'];
const LAST = ['de Vries', 'Jansen', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'Bos', 'Vos', 'Peters', 'Hendriks', 'Dekker', 'Brouwer', 'Schmidt', 'Müller', 'Weber', 'Koch'];
const TRADE = ['Logistics', 'Shipping', 'Stevedoring', 'Terminals', 'Transport', 'Bunkering', 'Marine Services', 'Cargo', 'Forwarding', 'Tank Storage'];
const PLACE = ['Maasvlakte', 'Waalhaven', 'Botlek', 'Europoort', 'Pernis', 'Vondelingen', 'Eemhaven', 'Merwe', 'Delta', 'Noordzee'];

export type ContractStatus = 'approved' | 'pending' | 'terminated';

/** Company i's contract: most approved, some pending (each with a running contract approval), a few terminated. */
export function contractStatus(i: number): ContractStatus {
  const r = seededRandom(`company-status:${i}`).next();
  return r < 0.9 ? 'approved' : r < 0.96 ? 'pending' : 'terminated';
}

/** Companies with a transport licence (CargoCards): about a third of them. */
export const requestsCargoCards = (i: number): boolean => seededRandom(`company-cargo:${i}`).chance(0.35);

export interface Ctx {
  sizes: SeedSizes;
  /** The reference instant of the data set (the first run's start; kept for resumed runs). */
  asOf: Date;
  calendar: BusinessCalendar;
  /** Indexes of the approved companies, in order: card users belong to them. */
  approved: number[];
}

function person(r: Random) {
  const firstName = r.pick(FIRST);
  const lastName = r.pick(LAST);
  return { firstName, lastName, name: `${firstName} ${lastName}` };
}

const mailOf = (name: string, domain: string) => `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@${domain}`;

export function company(ctx: Ctx, i: number) {
  const r = seededRandom(`company:${i}`);
  const status = contractStatus(i);
  const cargo = requestsCargoCards(i);
  const name = `${r.pick(PLACE)} ${r.pick(TRADE)} ${pad(i, 4)} B.V.`;
  const domain = `seed${pad(i, 6)}.example`;
  const kvk = pad(20_000_000 + i, 8);
  const vat = `NL${pad(100_000_000 + i, 9)}B01`;
  // Pending: registered in the last few days (their approval is running); others: over the last ten years.
  const submittedAt = new Date(status === 'pending' ? ctx.asOf.getTime() - r.int(5 * DAY) : ctx.asOf.getTime() - 30 * DAY - r.int(10 * YEAR));
  const dueAt = ctx.calendar.contractDueAt(submittedAt);
  const decidedAt = new Date(Math.min(dueAt.getTime(), submittedAt.getTime() + DAY));
  const signatory = person(r);
  const contact = person(r);
  const today = ctx.calendar.dayOf(ctx.asOf);
  return {
    _id: companyId(i),
    name,
    kvkNumber: kvk,
    vatId: vat,
    registrationKey: status === 'terminated' ? `closed:${companyId(i)}` : `${kvk}:${vat}`,
    kvkExtract: { documentRef: `seed/kvk/${kvk}.pdf`, issuedOn: ctx.calendar.dayOf(new Date(submittedAt.getTime() - 10 * DAY)) },
    signatory: { name: signatory.name, email: mailOf(signatory.name, domain) },
    contact: { name: contact.name, email: mailOf(contact.name, domain), language: r.chance(0.8) ? ('en' as const) : ('de' as const) },
    requestsCargoCards: cargo,
    ...(cargo
      ? {
          transportLicence: {
            number: `NIWO-${pad(i, 6)}`,
            // Spread over the coming year (the watch warns and blocks day by day); a terminated company's expired.
            expiresOn: status === 'terminated' ? ctx.calendar.addDays(today, -1 - r.int(300)) : ctx.calendar.addDays(today, 7 + r.int(365)),
            documentRef: `seed/licence/${pad(i, 6)}.pdf`,
          },
        }
      : {}),
    customerNumber: String(1_000_000 + i),
    contract: {
      status,
      submittedAt,
      dueAt,
      slaBreached: false,
      ...(status === 'pending' ? {} : { decidedAt, decidedBy: 'backoffice:seed' }),
      ...(status === 'terminated'
        ? { terminatedAt: new Date(ctx.asOf.getTime() - r.int(300) * DAY), terminationReason: cargo ? 'the transport licence expired' : 'ended by the company' }
        : {}),
    },
    createdAt: submittedAt,
    updatedAt: submittedAt,
  };
}

/** Which approved company card user i works for: a few large companies, many small ones. */
export function employerOf(ctx: Ctx, i: number): number {
  const r = seededRandom(`employer:${i}`).next();
  return ctx.approved[Math.floor(r * r * ctx.approved.length)]!;
}

export function cardUser(ctx: Ctx, i: number) {
  const r = seededRandom(`card-user:${i}`);
  const p = person(r);
  const co = employerOf(ctx, i);
  const createdAt = new Date(activatedAtOf(ctx, i).getTime() - 30 * DAY);
  return {
    _id: xsId(i),
    companyId: companyId(co),
    firstName: p.firstName,
    lastName: p.lastName,
    email: mailOf(`${p.name} ${i}`, `seed${pad(co, 6)}.example`),
    language: r.chance(0.8) ? ('en' as const) : ('de' as const),
    identityDocument: { kind: r.pick(['passport', 'id-card', 'residence-permit'] as const), number: `SD${pad(i, 8)}`, expiresOn: ctx.calendar.addDays(ctx.calendar.dayOf(ctx.asOf), 200 + r.int(3000)) },
    createdAt,
    updatedAt: createdAt,
  };
}

/** The card type card user i holds or applies for: CargoCards only in companies with a transport licence. */
export function cardTypeOf(i: number, co: number): CardType {
  const r = seededRandom(`card-type:${i}`);
  if (requestsCargoCards(co) && r.chance(0.7)) return 'CargoCard';
  return r.chance(0.6) ? 'PortKey' : 'DigitalSafetyPassport';
}

/** When card i was activated: a moment of the last five years, so some cards expire every week. */
const activatedAtOf = (ctx: Ctx, i: number): Date => new Date(ctx.asOf.getTime() - DAY - seededRandom(`card-activated:${i}`).int(CARD_YEARS * YEAR - 2 * DAY));

/** Card i (held by card user i), valid five years from its activation. */
export function card(ctx: Ctx, i: number) {
  const r = seededRandom(`card:${i}`);
  const user = cardUser(ctx, i);
  const co = employerOf(ctx, i);
  const activatedAt = activatedAtOf(ctx, i);
  const producedAt = new Date(activatedAt.getTime() - (1 + r.int(10)) * DAY);
  const expiresAt = new Date(activatedAt.getTime() + CARD_YEARS * YEAR);
  return {
    _id: cardNumber(i),
    applicationId: applicationId('card', i),
    companyId: user.companyId,
    xsId: user._id,
    cardType: cardTypeOf(i, co),
    // Not a hash of any PIN: seeded cards are active, their PIN is never asked for again.
    pinHash: `seed:${createHash('sha256').update(`pin:${i}`).digest('hex')}`,
    status: 'active' as const,
    producedAt,
    activatedAt,
    expiresAt,
    createdAt: producedAt,
    updatedAt: activatedAt,
  };
}

/** Whether card i's application is recent enough to be kept (the last two years). */
export const cardHasApplication = (ctx: Ctx, i: number): boolean => card(ctx, i).activatedAt.getTime() > ctx.asOf.getTime() - APPLICATION_YEARS * YEAR;

function applicationBase(ctx: Ctx, id: string, userIndex: number, submittedAt: Date, r: Random) {
  const user = cardUser(ctx, userIndex);
  const co = employerOf(ctx, userIndex);
  const deliveryMethod = r.pick(['post', 'pickup', 'pickup', 'urgent-pickup'] as const);
  return {
    _id: id,
    companyId: user.companyId,
    customerNumber: String(1_000_000 + co),
    xsId: user._id,
    cardType: cardTypeOf(userIndex, co),
    deliveryMethod,
    destination: deliveryMethod === 'post' && r.chance(0.1) ? ('abroad' as const) : ('NL' as const),
    submittedAt,
    createdAt: submittedAt,
    updatedAt: submittedAt,
  };
}

/** The completed application that issued card i. */
export function completedApplication(ctx: Ctx, i: number) {
  const c = card(ctx, i);
  const r = seededRandom(`application:${i}`);
  const submittedAt = new Date(c.producedAt.getTime() - (1 + r.int(5)) * DAY);
  const base = applicationBase(ctx, c.applicationId, i, submittedAt, r);
  return {
    ...base,
    cardType: c.cardType,
    status: 'active' as const,
    cardUserApprovedAt: new Date(submittedAt.getTime() + 3_600_000),
    cardUserApprovedBy: base.xsId,
    backofficeApprovedAt: new Date(submittedAt.getTime() + 7_200_000),
    backofficeApprovedBy: 'backoffice:seed',
    approvedAt: new Date(submittedAt.getTime() + 7_200_000),
    producedAt: c.producedAt,
    cardNumber: c._id,
    activatedAt: c.activatedAt,
    expiresAt: c.expiresAt,
    updatedAt: c.activatedAt,
  };
}

/** Cancelled application n (of the last two years), by a card user who holds a card anyway. */
export function cancelledApplication(ctx: Ctx, n: number) {
  const r = seededRandom(`cancelled:${n}`);
  const userIndex = r.int(ctx.sizes.cardUsers);
  const submittedAt = new Date(ctx.asOf.getTime() - 7 * DAY - r.int(APPLICATION_YEARS * YEAR - 7 * DAY));
  return {
    ...applicationBase(ctx, applicationId('cancelled', n), userIndex, submittedAt, r),
    status: 'cancelled' as const,
    cancelledAt: new Date(submittedAt.getTime() + (1 + r.int(5)) * DAY),
    cancellationReason: r.pick(['the card user did not approve in time', 'the identity document expired', 'withdrawn by the company']),
  };
}

export const cancelledCount = (ctx: Ctx, completed: number): number => Math.round((completed * CANCELLED_SHARE) / (1 - CANCELLED_SHARE));

/**
 * Open application n: submitted in the last days, by a card user of an approved
 * company, waiting for both approvals: its workflow is started as the API starts it.
 */
export function openApplication(ctx: Ctx, n: number) {
  const r = seededRandom(`open:${n}`);
  const userIndex = r.int(ctx.sizes.cardUsers);
  const submittedAt = new Date(ctx.asOf.getTime() - r.int(3 * DAY));
  return { ...applicationBase(ctx, applicationId('open', n), userIndex, submittedAt, r), status: 'awaiting-approvals' as const };
}

/** The portal account of approved company i's contact (active). */
export function portalAccount(ctx: Ctx, i: number, passwordHash: string) {
  const c = company(ctx, i);
  const registeredAt = new Date(c.contract.submittedAt.getTime() + 2 * DAY);
  return {
    _id: accountId(i),
    emailKey: c.contact.email.toLowerCase(),
    email: c.contact.email,
    language: c.contact.language,
    name: c.contact.name,
    customerNumber: c.customerNumber,
    companyId: c._id,
    passwordHash,
    status: 'active' as const,
    registeredAt,
    activatedAt: new Date(registeredAt.getTime() + 3_600_000),
    createdAt: registeredAt,
    updatedAt: registeredAt,
  };
}

/** The mails a completed application sent (PIN to the company, next steps to the card user), as the outbox records them. */
export function applicationOutbox(app: ReturnType<typeof completedApplication>) {
  const at = app.producedAt;
  return (['pin', 'next-steps'] as const).map((purpose) => ({
    _id: `card:${app._id}:${purpose}`,
    messageId: `<card.${app._id}.${purpose}@seed.xs-backoffice>`,
    to: purpose === 'pin' ? `contact@${app.companyId}.example` : `${app.xsId}@seed.example`,
    template: purpose === 'pin' ? 'card-pin' : 'card-next-steps',
    language: 'en' as const,
    subject: purpose === 'pin' ? `PIN for card ${app.cardNumber}` : 'Your card is ready',
    status: 'sent' as const,
    attempts: 1,
    sentAt: at,
    createdAt: at,
    updatedAt: at,
  }));
}

/** The audit trail of a completed application: both approvals and the activation. */
export function applicationAudit(app: ReturnType<typeof completedApplication>) {
  return [
    { _id: `card:${app._id}:approved-by-card-user`, at: app.cardUserApprovedAt, subject: app._id, event: 'approved-by-card-user', actor: app.xsId },
    { _id: `card:${app._id}:approved-by-backoffice`, at: app.backofficeApprovedAt, subject: app._id, event: 'approved-by-backoffice', actor: 'backoffice:seed' },
    { _id: `card:${app._id}:activated`, at: app.activatedAt, subject: app._id, event: 'card-activated', actor: app.xsId, data: { cardNumber: app.cardNumber } },
  ];
}
