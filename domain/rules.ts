/**
 * Every tunable number of ../shared/PROCESSES.md, with the defaults the
 * specification decides. This is the one place a rule's value lives: the
 * calendar, the workflows and the API read it from here (the values that may
 * change per deployment are overridden through config/, validated once at
 * start-up, and reach workflows through a local activity, never through
 * `process.env`).
 *
 * Pure data: no Node modules, safe to import from workflow code.
 */

/** A local time of day, 'HH:mm', in the business time zone. */
export type LocalTime = `${number}:${number}`;

export interface BusinessRules {
  /** All business times are in this zone (DST included). */
  readonly timeZone: string;
  /** Extra closure dates ('YYYY-MM-DD') on top of the Dutch public holidays. */
  readonly extraClosureDates: readonly string[];

  /** Section 1: the contract decision is due within this many working hours. */
  readonly contractSlaWorkingHours: number;
  /** Section 1: a Chamber of Commerce extract counts as current for this many days after its issue. */
  readonly kvkExtractMaxAgeDays: number;

  /** Section 2: cut-offs and collection times at the service point. */
  readonly regularCutOff: LocalTime;
  readonly urgentCutOff: LocalTime;
  readonly regularPickupFrom: LocalTime;
  readonly pickupUntil: LocalTime;
  /** When the service point opens; the earliest urgent collection on a later day. */
  readonly servicePointOpensAt: LocalTime;
  /** Working days after shipping until expected delivery. */
  readonly postDeliveryWorkingDaysNL: number;
  readonly postDeliveryWorkingDaysAbroad: number;
  /** The card is held on the ready day and this many working days after it. */
  readonly pickupHoldWorkingDays: number;
  /** Cards are valid this many years from activation. */
  readonly cardValidityYears: number;

  /** Section 3: a card shows as expiring (and can be renewed) this many weeks before expiry. */
  readonly renewalWindowWeeks: number;

  /** Section 4: the licence warning goes out at this time on the Nth working day before expiry. */
  readonly licenceWarningWorkingDays: number;
  readonly licenceWarningAt: LocalTime;

  /** Section 5: the digest goes out at this time on the first Wednesday of each month. */
  readonly digestAt: LocalTime;

  /** Section 6: activation and reset links are valid this many hours. */
  readonly accountLinkValidityHours: number;
  /** Section 6: this many wrong passwords in a row lock a portal account (ACCOUNT_SIGN_IN_MAX_FAILURES). */
  readonly accountSignInMaxFailures: number;

  /** Section 6 (docs/accounts-terminals.md): words of the name, company name or email local part this long or longer may not be in a password. */
  readonly passwordPersonalMinLength: number;
  /** A common/leaked password with at most this many characters added is refused ("Password1!"). */
  readonly passwordCommonMaxExtra: number;
  /** The zxcvbn strength score (0-4) a password needs at least. */
  readonly passwordMinStrength: number;
  /** A confirmation link for adding a customer number to an account is valid this many hours. */
  readonly customerNumberLinkValidityHours: number;
}

export const DEFAULT_RULES: BusinessRules = {
  timeZone: 'Europe/Amsterdam',
  extraClosureDates: [],
  contractSlaWorkingHours: 24,
  kvkExtractMaxAgeDays: 180,
  regularCutOff: '13:00',
  urgentCutOff: '16:30',
  regularPickupFrom: '16:00',
  pickupUntil: '17:00',
  servicePointOpensAt: '08:00',
  postDeliveryWorkingDaysNL: 5,
  postDeliveryWorkingDaysAbroad: 10,
  pickupHoldWorkingDays: 5,
  cardValidityYears: 5,
  renewalWindowWeeks: 6,
  licenceWarningWorkingDays: 5,
  licenceWarningAt: '09:00',
  digestAt: '08:00',
  accountLinkValidityHours: 24,
  accountSignInMaxFailures: 5,
  passwordPersonalMinLength: 4,
  passwordCommonMaxExtra: 3,
  passwordMinStrength: 3,
  customerNumberLinkValidityHours: 24,
};
