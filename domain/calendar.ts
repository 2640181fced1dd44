/**
 * The business calendar: every date rule of ../shared/PROCESSES.md ("Time",
 * sections 1, 2, 4, 5, and the card dates of 2-3) lives here, by name.
 *
 * Pure and deterministic, safe to import from Temporal workflow code: it imports
 * only `luxon` and `./rules`, never reads the clock, the environment or random
 * numbers. Instants are JS `Date`s (UTC instants); calendar days are ISO strings
 * 'YYYY-MM-DD' (`IsoDay`); local times are 'HH:mm' in `rules.timeZone`.
 *
 * Local wall-clock time to instant (DST): a local time that does not exist (the
 * spring-forward gap) moves forward by the length of the gap (02:30 on the last
 * Sunday of March is 03:30+02:00); a local time that occurs twice (the autumn
 * overlap) is the earlier instant (02:30 on the last Sunday of October is
 * 02:30+02:00). This is the "compatible" rule of java.time and TC39 Temporal. It
 * is computed here rather than left to luxon, whose choice in the overlap depends
 * on the current date of the machine and would make workflow replays differ.
 * Business times (08:00-17:00) never fall in a gap or overlap in Europe/Amsterdam.
 */
import { DateTime, IANAZone } from 'luxon';
import { BusinessRules, DEFAULT_RULES, LocalTime } from './rules';

/** A calendar day, 'YYYY-MM-DD'. */
export type IsoDay = string;
export type { DeliveryMethod, Destination } from './vocabulary';
import type { Destination } from './vocabulary';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEDNESDAY = 3; // ISO weekday, Monday = 1

/** Strict 'YYYY-MM-DD' that names a real date (no 2025-02-29, no 2025-13-01). */
export function isIsoDay(s: string): boolean {
  const m = typeof s === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(s) : null;
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

export class BusinessCalendar {
  readonly rules: BusinessRules;
  private readonly zone: IANAZone;
  private readonly closures: ReadonlySet<IsoDay>;
  private readonly holidaysByYear = new Map<number, ReadonlyMap<IsoDay, string>>();

  constructor(rules: BusinessRules = DEFAULT_RULES) {
    validateRules(rules);
    this.rules = rules;
    this.zone = IANAZone.create(rules.timeZone);
    this.closures = new Set(rules.extraClosureDates);
  }

  // ---- Working days ---------------------------------------------------------

  /**
   * "Dutch public holiday: New Year, Easter Sunday and Monday, King's Day (27 April,
   * or 26 April when the 27th is a Sunday), Ascension Day, Whit Sunday and Monday,
   * Christmas Day and Boxing Day. Good Friday and Liberation Day are working days
   * unless configured as extra closure dates."
   * Returns the holiday's English name, 'Closure day' for an extra closure date,
   * or undefined. (King's Day is applied to every year; Queen's Day before 2014 is
   * not modelled.)
   */
  holidayName(day: IsoDay): string | undefined {
    checkDay(day);
    return this.publicHolidays(Number(day.slice(0, 4))).get(day) ?? (this.closures.has(day) ? 'Closure day' : undefined);
  }

  /** "A working day is Monday to Friday that is not a Dutch public holiday" nor an extra closure date. */
  isWorkingDay(day: IsoDay): boolean {
    return isoWeekday(toEpochDay(day)) <= 5 && this.holidayName(day) === undefined;
  }

  /** Calendar days; n may be negative. */
  addDays(day: IsoDay, n: number): IsoDay {
    checkInteger(n, 'n', false);
    return fromEpochDay(toEpochDay(day) + n);
  }

  /** "N working days after day D counts only working days, D itself excluded." n = 0 returns D. */
  addWorkingDays(day: IsoDay, n: number): IsoDay {
    return this.stepWorkingDays(day, n, +1);
  }

  /** "N working days before day D counts only working days strictly before D." n = 0 returns D. */
  subtractWorkingDays(day: IsoDay, n: number): IsoDay {
    return this.stepWorkingDays(day, n, -1);
  }

  /** The first working day strictly after `day`. */
  nextWorkingDay(day: IsoDay): IsoDay {
    return this.addWorkingDays(day, 1);
  }

  // ---- Local time -----------------------------------------------------------

  /** The local calendar day of an instant in rules.timeZone. */
  dayOf(instant: Date): IsoDay {
    return fromEpochDay(this.local(instant).epochDay);
  }

  /** The instant of a local wall-clock time on a day (gap and overlap: see the module comment). */
  atLocalTime(day: IsoDay, time: LocalTime): Date {
    return this.instantOf(toEpochDay(day), parseLocalTime(time));
  }

  /** Local 00:00 of a day. */
  startOfDay(day: IsoDay): Date {
    return this.instantOf(toEpochDay(day), 0);
  }

  /** ISO 8601 with the zone's offset, seconds precision (milliseconds dropped): '2026-03-02T15:00:00+01:00'. */
  toLocalIso(instant: Date): string {
    const ms = Math.floor(checkInstant(instant) / 1000) * 1000;
    return DateTime.fromMillis(ms, { zone: this.zone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
  }

  /** Local date and time to the minute, as people read it in details and emails: '2026-03-02 15:00'. */
  localDateTime(instant: Date | string | number): string {
    const iso = this.toLocalIso(new Date(instant));
    return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  }

  // ---- Section 1: contract SLA ----------------------------------------------

  /**
   * "24 hours counted only on working days (a registration submitted Friday 15:00 is
   * due Monday 15:00; submitted Saturday 10:00, due Tuesday 00:00)."
   * Time runs only during working days, each the whole local day 00:00-24:00,
   * counted in local wall-clock hours. Ending exactly at the end of a working day
   * gives 00:00 of the following calendar day (Monday 24:00 = Tuesday 00:00, even
   * when Tuesday is a holiday). The result is the earliest instant at which
   * `hours` working hours have run, so 0 hours returns `from` itself.
   * Precision: milliseconds; `hours` may be fractional.
   */
  addWorkingHours(from: Date, hours: number): Date {
    const start = checkInstant(from);
    if (!Number.isFinite(hours) || hours < 0) {
      throw new RangeError(`Invalid hours ${hours}: expected a finite number >= 0`);
    }
    let remaining = Math.round(hours * HOUR_MS);
    if (remaining === 0) return new Date(start);
    let { epochDay, msOfDay } = this.local(from);
    for (;;) {
      if (this.isWorkingDay(fromEpochDay(epochDay))) {
        const leftToday = DAY_MS - msOfDay;
        if (remaining <= leftToday) return this.instantOf(epochDay, msOfDay + remaining);
        remaining -= leftToday;
      }
      epochDay += 1;
      msOfDay = 0;
    }
  }

  /** "Decided within 24 hours counted only on working days": submittedAt + rules.contractSlaWorkingHours working hours. */
  contractDueAt(submittedAt: Date): Date {
    return this.addWorkingHours(submittedAt, this.rules.contractSlaWorkingHours);
  }

  // ---- Section 2: delivery and pickup ---------------------------------------

  /**
   * "Post: A before 13:00 on a working day: shipped that day; otherwise shipped on
   * the next working day. Expected delivery: 5 working days after shipping in the
   * Netherlands, 10 abroad."
   */
  postPlan(approvedAt: Date, destination: Destination): { shipOn: IsoDay; expectedDeliveryBy: IsoDay } {
    const shipOn = this.handlingDay(approvedAt, this.rules.regularCutOff).day;
    const days =
      destination === 'NL' ? this.rules.postDeliveryWorkingDaysNL
      : destination === 'abroad' ? this.rules.postDeliveryWorkingDaysAbroad
      : invalid(`Invalid destination "${String(destination)}": expected 'NL' or 'abroad'`);
    return { shipOn, expectedDeliveryBy: this.addWorkingDays(shipOn, days) };
  }

  /**
   * Regular: "A before 13:00 on a working day: ready that day, collect 16:00-17:00;
   * otherwise ready on the next working day, 16:00-17:00."
   * Urgent: "approved before 16:30 on a working day: ready that day, collect until
   * 17:00; otherwise ready on the next working day, collect until 17:00" (from the
   * moment A on the same day, from rules.servicePointOpensAt on a later day).
   * Hold: "held on the ready day and the 5 working days after it; if not collected
   * by 17:00 on the 5th working day after the ready day, it is handed to the post
   * on the next working day."
   */
  pickupPlan(
    approvedAt: Date,
    urgent: boolean,
  ): { readyOn: IsoDay; pickupFrom: Date; pickupUntil: Date; holdUntil: Date; toPostOn: IsoDay } {
    const r = this.rules;
    const { day: readyOn, sameDay } = this.handlingDay(approvedAt, urgent ? r.urgentCutOff : r.regularCutOff);
    const pickupFrom =
      !urgent ? this.atLocalTime(readyOn, r.regularPickupFrom)
      : sameDay ? new Date(approvedAt.getTime())
      : this.atLocalTime(readyOn, r.servicePointOpensAt);
    const lastHoldDay = this.addWorkingDays(readyOn, r.pickupHoldWorkingDays);
    return {
      readyOn,
      pickupFrom,
      pickupUntil: this.atLocalTime(readyOn, r.pickupUntil),
      holdUntil: this.atLocalTime(lastHoldDay, r.pickupUntil),
      toPostOn: this.nextWorkingDay(lastHoldDay),
    };
  }

  // ---- Section 4: transport licence watch -----------------------------------

  /**
   * "A licence valid through day E: on the 5th working day before E, at 09:00, the
   * company contact is warned. ... at the end of E (00:00 of the next day) every
   * CargoCard of the company is blocked."
   */
  licencePlan(expiresOn: IsoDay): { warnAt: Date; blockAt: Date } {
    const r = this.rules;
    return {
      warnAt: this.atLocalTime(this.subtractWorkingDays(expiresOn, r.licenceWarningWorkingDays), r.licenceWarningAt),
      blockAt: this.startOfDay(this.addDays(expiresOn, 1)),
    };
  }

  // ---- Section 5: monthly digest --------------------------------------------

  /** "The first Wednesday of every month" (month 1-12). */
  firstWednesday(year: number, month: number): IsoDay {
    checkYearMonth(year, month);
    const first = toEpochDay(`${pad(year, 4)}-${pad(month, 2)}-01`);
    return fromEpochDay(first + ((WEDNESDAY - isoWeekday(first) + 7) % 7));
  }

  /** "On the first Wednesday of every month at 08:00" (rules.digestAt). */
  digestAt(year: number, month: number): Date {
    return this.atLocalTime(this.firstWednesday(year, month), this.rules.digestAt);
  }

  /**
   * When a month's digest may run: from its first Wednesday at 08:00 until the
   * month ends (the first instant of the next month, excluded). Before, the
   * month's open items are not due yet; after, the month is over and a digest
   * would report stale items under its name.
   */
  digestWindow(year: number, month: number): { opensAt: Date; closesAt: Date } {
    const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
    return { opensAt: this.digestAt(year, month), closesAt: this.startOfDay(`${pad(next.year, 4)}-${pad(next.month, 2)}-01`) };
  }

  /** The 12 digest instants of a year, January first. */
  digestDates(year: number): Date[] {
    return Array.from({ length: 12 }, (_, i) => this.digestAt(year, i + 1));
  }

  // ---- Sections 2-3: card validity and renewal ------------------------------

  /**
   * "Cards are valid 5 years" from activation: the same local wall-clock time,
   * rules.cardValidityYears years later (29 February becomes 28 February).
   */
  cardExpiresAt(activatedAt: Date): Date {
    const { epochDay, msOfDay } = this.local(activatedAt);
    const [y, m, d] = ymd(fromEpochDay(epochDay));
    const year = y + this.rules.cardValidityYears;
    const day = `${pad(year, 4)}-${pad(m, 2)}-${pad(Math.min(d, daysInMonth(year, m)), 2)}`;
    return this.instantOf(toEpochDay(day), msOfDay);
  }

  /** "From a configurable window before expiry (default 6 weeks)": the same local wall-clock time, N weeks earlier. */
  renewalWindowOpensAt(expiresAt: Date): Date {
    const { epochDay, msOfDay } = this.local(expiresAt);
    return this.instantOf(epochDay - 7 * this.rules.renewalWindowWeeks, msOfDay);
  }

  // ---- Internals ------------------------------------------------------------

  /**
   * The day an approval at `at` is handled: its own local day when that is a
   * working day and `at` is strictly before the cut-off (12:59:59.999 is before
   * 13:00, 13:00:00.000 is not); otherwise the next working day.
   */
  private handlingDay(at: Date, cutOff: LocalTime): { day: IsoDay; sameDay: boolean } {
    const day = this.dayOf(at);
    if (this.isWorkingDay(day) && at.getTime() < this.atLocalTime(day, cutOff).getTime()) {
      return { day, sameDay: true };
    }
    return { day: this.nextWorkingDay(day), sameDay: false };
  }

  private stepWorkingDays(day: IsoDay, n: number, step: 1 | -1): IsoDay {
    checkInteger(n, 'n', true);
    let d = toEpochDay(day);
    for (let left = n; left > 0; ) {
      d += step;
      if (this.isWorkingDay(fromEpochDay(d))) left -= 1;
    }
    return fromEpochDay(d);
  }

  private publicHolidays(year: number): ReadonlyMap<IsoDay, string> {
    let holidays = this.holidaysByYear.get(year);
    if (!holidays) {
      const easter = toEpochDay(easterSunday(year));
      const kingsDay = `${pad(year, 4)}-04-27`;
      const at = (offset: number): IsoDay => fromEpochDay(easter + offset);
      holidays = new Map<IsoDay, string>([
        [`${pad(year, 4)}-01-01`, "New Year's Day"],
        [at(0), 'Easter Sunday'],
        [at(1), 'Easter Monday'],
        [isoWeekday(toEpochDay(kingsDay)) === 7 ? `${pad(year, 4)}-04-26` : kingsDay, "King's Day"],
        [at(39), 'Ascension Day'],
        [at(49), 'Whit Sunday'],
        [at(50), 'Whit Monday'],
        [`${pad(year, 4)}-12-25`, 'Christmas Day'],
        [`${pad(year, 4)}-12-26`, 'Boxing Day'],
      ]);
      this.holidaysByYear.set(year, holidays);
    }
    return holidays;
  }

  /** Local day (as days since 1970-01-01) and wall-clock milliseconds since local midnight. */
  private local(instant: Date): { epochDay: number; msOfDay: number } {
    const ts = checkInstant(instant);
    const wall = ts + this.zone.offset(ts) * MINUTE_MS;
    const epochDay = Math.floor(wall / DAY_MS);
    return { epochDay, msOfDay: wall - epochDay * DAY_MS };
  }

  /**
   * The instant of a local wall-clock time (msOfDay may be 24:00 = next day 00:00).
   * Gap: moved forward by the gap's length; overlap: the earlier instant.
   */
  private instantOf(epochDay: number, msOfDay: number): Date {
    const wall = epochDay * DAY_MS + msOfDay;
    // Offsets a day either side; a zone changes its offset at most once in 48 hours.
    const before = this.zone.offset(wall - DAY_MS) * MINUTE_MS;
    const after = this.zone.offset(wall + DAY_MS) * MINUTE_MS;
    const valid = [wall - before, wall - after].filter((t) => t + this.zone.offset(t) * MINUTE_MS === wall);
    return new Date(valid.length > 0 ? Math.min(...valid) : wall - before);
  }
}

// ---- Pure helpers -------------------------------------------------------------

/** Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
function easterSunday(year: number): IsoDay {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function ymd(day: IsoDay): [number, number, number] {
  return [Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))];
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a validated IsoDay (proleptic Gregorian, UTC arithmetic). */
function toEpochDay(day: IsoDay): number {
  checkDay(day);
  const [y, m, d] = ymd(day);
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // unlike Date.UTC, keeps years 0-99 as written
  return Math.round(t.getTime() / DAY_MS);
}

function fromEpochDay(epochDay: number): IsoDay {
  const t = new Date(epochDay * DAY_MS);
  const year = t.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new RangeError(`Date out of range: year ${year} is outside 0000-9999`);
  return `${pad(year, 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}`;
}

/** ISO weekday of an epoch day: Monday = 1 ... Sunday = 7 (1970-01-01 was a Thursday). */
function isoWeekday(epochDay: number): number {
  return (((epochDay + 3) % 7) + 7) % 7 + 1;
}

function parseLocalTime(time: string): number {
  const m = typeof time === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time) : null;
  if (!m) throw new RangeError(`Invalid LocalTime "${String(time)}": expected 'HH:mm' between 00:00 and 23:59`);
  return Number(m[1]) * HOUR_MS + Number(m[2]) * MINUTE_MS;
}

function checkDay(day: IsoDay): void {
  if (!isIsoDay(day)) throw new RangeError(`Invalid IsoDay "${String(day)}": expected an existing date as 'YYYY-MM-DD'`);
}

function checkInstant(instant: Date): number {
  const ts = instant instanceof Date ? instant.getTime() : NaN;
  if (Number.isNaN(ts)) throw new RangeError(`Invalid Date: expected a valid instant, got ${String(instant)}`);
  return ts;
}

function checkInteger(n: number, name: string, nonNegative: boolean): void {
  if (!Number.isSafeInteger(n) || (nonNegative && n < 0)) {
    throw new RangeError(`Invalid ${name} ${n}: expected ${nonNegative ? 'an integer >= 0' : 'an integer'}`);
  }
}

function checkYearMonth(year: number, month: number): void {
  checkInteger(year, 'year', true);
  if (year > 9999) throw new RangeError(`Invalid year ${year}: expected 0-9999`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`Invalid month ${month}: expected 1-12`);
}

function invalid(message: string): never {
  throw new RangeError(message);
}

/** Rules are checked once, so a bad configuration fails at start-up, not in a workflow. */
function validateRules(r: BusinessRules): void {
  if (!IANAZone.isValidZone(r.timeZone)) throw new RangeError(`Invalid rules.timeZone "${r.timeZone}"`);
  r.extraClosureDates.forEach(checkDay);
  for (const t of [r.regularCutOff, r.urgentCutOff, r.regularPickupFrom, r.pickupUntil, r.servicePointOpensAt, r.licenceWarningAt, r.digestAt]) {
    parseLocalTime(t);
  }
  for (const [name, n] of Object.entries({
    contractSlaWorkingHours: r.contractSlaWorkingHours,
    postDeliveryWorkingDaysNL: r.postDeliveryWorkingDaysNL,
    postDeliveryWorkingDaysAbroad: r.postDeliveryWorkingDaysAbroad,
    pickupHoldWorkingDays: r.pickupHoldWorkingDays,
    cardValidityYears: r.cardValidityYears,
    renewalWindowWeeks: r.renewalWindowWeeks,
    licenceWarningWorkingDays: r.licenceWarningWorkingDays,
  })) {
    checkInteger(n, `rules.${name}`, true);
  }
}
