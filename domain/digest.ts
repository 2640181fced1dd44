/**
 * The monthly digest (PROCESSES.md section 5), as pure rules: which month a run
 * covers, and what the email says about a company's open items. No I/O; the
 * activity gathers the items (activities/digest.ts), the template renders them
 * through `digestEmail` (email/templates/digest.ts). Safe in workflow code.
 */
import type { BusinessCalendar, IsoDay } from './calendar';

export type { Language } from './vocabulary';
import type { Language } from './vocabulary';

/** 'YYYY-MM': the month a digest covers. */
export type Period = string;

/** Companies whose contact gets a digest; rejected and terminated contracts have nothing left to do. */
export const DIGEST_CONTRACT_STATUSES = ['pending', 'approved'] as const;

/** An expired card stays an open item this many days after its expiry (time to request a new card). */
export const EXPIRED_CARD_LISTED_DAYS = 90;

export interface ApplicationItem {
  applicationId: string;
  cardType: string;
  holder: string;
  submittedOn: IsoDay;
  /** Whose approval the application still needs (both are needed for production). */
  waitingFor: 'card-user' | 'back-office' | 'both';
}

export interface CardItem {
  cardNumber: string;
  cardType: string;
  holder: string;
  /** Held cards: the day it was ready; expiring and expired cards: the expiry day. */
  day: IsoDay;
  /** Held cards: the last day it is held for pickup. */
  until?: IsoDay;
}

export interface LicenceItem {
  number: string;
  /** The effective expiry: the NIWO bridging end when there is one. */
  expiresOn: IsoDay;
  bridging: boolean;
}

export interface OpenItems {
  contractPending: { submittedOn: IsoDay; dueOn: IsoDay } | null;
  applications: ApplicationItem[];
  heldCards: CardItem[];
  expiringCards: CardItem[];
  expiredCards: CardItem[];
  licence: LicenceItem | null;
}

export interface DigestInput {
  companyName: string;
  period: Period;
  /** The day the items were read. */
  asOf: IsoDay;
  items: OpenItems;
}

export const NO_OPEN_ITEMS: OpenItems = {
  contractPending: null,
  applications: [],
  heldCards: [],
  expiringCards: [],
  expiredCards: [],
  licence: null,
};

export function countOpenItems(items: OpenItems): number {
  return (
    (items.contractPending ? 1 : 0) +
    items.applications.length +
    items.heldCards.length +
    items.expiringCards.length +
    items.expiredCards.length +
    (items.licence ? 1 : 0)
  );
}

// ---- Periods ----------------------------------------------------------------------

export function isPeriod(s: unknown): s is Period {
  return typeof s === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
}

/** The month (in the business time zone) an instant falls in: a run scheduled for 4 March 08:00 covers '2026-03'. */
export function periodOf(instant: Date, calendar: BusinessCalendar): Period {
  return calendar.dayOf(instant).slice(0, 7);
}

/** A digest for a month that has not begun would use up that month's one email. */
export function isFuturePeriod(period: Period, now: Date, calendar: BusinessCalendar): boolean {
  return period > periodOf(now, calendar);
}

/** The window in which a month's digest may run (BusinessCalendar.digestWindow). */
export function digestWindowOf(period: Period, calendar: BusinessCalendar): { opensAt: Date; closesAt: Date } {
  return calendar.digestWindow(Number(period.slice(0, 4)), Number(period.slice(5, 7)));
}

/** Why a month's digest may not run at `now`, or null when it may: from its first Wednesday 08:00 to the month's end. */
export function outsideDigestWindow(period: Period, now: Date, calendar: BusinessCalendar): string | null {
  const { opensAt, closesAt } = digestWindowOf(period, calendar);
  if (now >= opensAt && now < closesAt) return null;
  const local = (d: Date) => calendar.toLocalIso(d);
  return `the digest for ${period} runs only from ${local(opensAt)} until ${local(closesAt)} (its first Wednesday ${calendar.rules.digestAt} to the end of the month)`;
}

// ---- The email ----------------------------------------------------------------------

const MONTHS: Record<Language, string[]> = {
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
};

export function periodLabel(period: Period, language: Language): string {
  return `${MONTHS[language][Number(period.slice(5, 7)) - 1]} ${period.slice(0, 4)}`;
}

export function formatDay(day: IsoDay, language: Language): string {
  const [y, m, d] = [day.slice(0, 4), Number(day.slice(5, 7)), Number(day.slice(8, 10))];
  return language === 'de' ? `${d}. ${MONTHS.de[m - 1]} ${y}` : `${d} ${MONTHS.en[m - 1]} ${y}`;
}

const TEXT = {
  en: {
    subject: (month: string, n: number) => `XS-Key: your open items for ${month} (${n})`,
    greeting: (name: string) => `Dear ${name},`,
    intro: (asOf: string) => `here is your monthly overview of the open items with XS-Key, as of ${asOf}.`,
    contract: (submitted: string, due: string) =>
      `Your registration of ${submitted} is waiting for our decision, expected by ${due}.`,
    applications: 'Card applications waiting for a decision or an approval',
    waitingFor: { 'card-user': "the card user's approval", 'back-office': 'our approval', both: "the card user's and our approval" },
    application: (a: ApplicationItem, on: string, waiting: string) => `${a.cardType} for ${a.holder} (application ${a.applicationId}, ${on}): waiting for ${waiting}`,
    held: 'Cards ready for pickup at the service point',
    heldCard: (c: CardItem, on: string, until: string | null) =>
      `${c.cardType} ${c.cardNumber} for ${c.holder}, ready since ${on}${until ? `; collect it by ${until}, after that it goes by post` : ''}`,
    expiring: 'Cards expiring soon: renew them now',
    expired: 'Expired cards: request a new card',
    expiryCard: (c: CardItem, on: string) => `${c.cardType} ${c.cardNumber} for ${c.holder}, expires ${on}`,
    licence: (l: LicenceItem, on: string) =>
      `Your transport licence ${l.number} is valid until ${on}${l.bridging ? ' (NIWO bridging period)' : ''}. ` +
      'Please send us the renewed licence in time: at the end of that day every CargoCard of your company is blocked.',
    closing: 'You receive this overview on the first Wednesday of each month while items are open.',
  },
  de: {
    subject: (month: string, n: number) => `XS-Key: Ihre offenen Punkte für ${month} (${n})`,
    greeting: (name: string) => `Sehr geehrte Damen und Herren der ${name},`,
    intro: (asOf: string) => `hier ist Ihre monatliche Übersicht der offenen Punkte bei XS-Key, Stand ${asOf}.`,
    contract: (submitted: string, due: string) =>
      `Ihre Registrierung vom ${submitted} wartet auf unsere Entscheidung, voraussichtlich bis ${due}.`,
    applications: 'Kartenanträge, die auf eine Entscheidung oder Freigabe warten',
    waitingFor: { 'card-user': 'die Freigabe des Karteninhabers', 'back-office': 'unsere Freigabe', both: 'die Freigabe des Karteninhabers und unsere' },
    application: (a: ApplicationItem, on: string, waiting: string) => `${a.cardType} für ${a.holder} (Antrag ${a.applicationId}, ${on}): wartet auf ${waiting}`,
    held: 'Karten zur Abholung an der Servicestelle',
    heldCard: (c: CardItem, on: string, until: string | null) =>
      `${c.cardType} ${c.cardNumber} für ${c.holder}, bereit seit ${on}${until ? `; bitte bis ${until} abholen, danach geht sie per Post` : ''}`,
    expiring: 'Bald ablaufende Karten: jetzt verlängern',
    expired: 'Abgelaufene Karten: bitte eine neue Karte beantragen',
    expiryCard: (c: CardItem, on: string) => `${c.cardType} ${c.cardNumber} für ${c.holder}, gültig bis ${on}`,
    licence: (l: LicenceItem, on: string) =>
      `Ihre Transportlizenz ${l.number} ist gültig bis ${on}${l.bridging ? ' (NIWO-Überbrückungszeitraum)' : ''}. ` +
      'Bitte senden Sie uns rechtzeitig die verlängerte Lizenz: am Ende dieses Tages werden alle CargoCards Ihres Unternehmens gesperrt.',
    closing: 'Sie erhalten diese Übersicht am ersten Mittwoch jedes Monats, solange Punkte offen sind.',
  },
} as const;

function section(title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : [`${title} (${lines.length}):\n${lines.map((l) => `- ${l}`).join('\n')}`];
}

/** The digest email of one company, or null when it has no open items (then nothing is sent). */
export function digestEmail(input: DigestInput, language: Language): { subject: string; paragraphs: string[] } | null {
  const { items } = input;
  const count = countOpenItems(items);
  if (count === 0) return null;
  const t = TEXT[language];
  const day = (d: IsoDay) => formatDay(d, language);
  return {
    subject: t.subject(periodLabel(input.period, language), count),
    paragraphs: [
      t.greeting(input.companyName),
      t.intro(day(input.asOf)),
      ...(items.contractPending ? [t.contract(day(items.contractPending.submittedOn), day(items.contractPending.dueOn))] : []),
      ...section(t.applications, items.applications.map((a) => t.application(a, day(a.submittedOn), t.waitingFor[a.waitingFor]))),
      ...section(t.held, items.heldCards.map((c) => t.heldCard(c, day(c.day), c.until ? day(c.until) : null))),
      ...section(t.expiring, items.expiringCards.map((c) => t.expiryCard(c, day(c.day)))),
      ...section(t.expired, items.expiredCards.map((c) => t.expiryCard(c, day(c.day)))),
      ...(items.licence ? [t.licence(items.licence, day(items.licence.expiresOn))] : []),
      t.closing,
    ],
  };
}
