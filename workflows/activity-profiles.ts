/**
 * How long an activity may take and how it is retried, by what it talks to.
 * Every activity has exactly one profile (ACTIVITY_PROFILE below; a new
 * activity without one does not compile), and workflows call activities only
 * through the proxies built from this table (workflows/support.ts `acts`).
 *
 * The worker's shutdown grace is derived from the longest attempt here
 * (workers/shutdown.ts), and the SMTP timeouts are checked against the mail
 * profile once, in config/index.ts. Changing a timeout or a retry policy does
 * not change a workflow's commands: histories replay unchanged.
 *
 * No profile but `insideUpdate` has a schedule-to-close bound: a case must
 * wait out an outage of the database, the relay or the bureau, never fail
 * because of it (its workflow would end with the activity's failure).
 * Business failures (FailureType) are never retried.
 */
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import { FailureType } from './definitions/failures';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/** Durations in milliseconds, so the worker can compute with them. */
export interface ActivityProfile extends ActivityOptions {
  startToCloseTimeout: number;
  scheduleToCloseTimeout?: number;
  heartbeatTimeout?: number;
  retry: RetryPolicy;
}

const businessFailures = Object.values(FailureType);

export const PROFILES = {
  /**
   * One read or write of MongoDB. Short attempts; retried without end at up to a minute apart, so a
   * case resumes within a minute of the database coming back (the ferretdb-outage drill).
   */
  database: {
    startToCloseTimeout: 30 * SECOND,
    retry: { initialInterval: SECOND, backoffCoefficient: 2, maximumInterval: MINUTE, nonRetryableErrorTypes: businessFailures },
  },
  /**
   * One email through the SMTP pool (activities/email.ts, email/mailer.ts). An attempt may wait for a
   * pooled connection, heartbeating every few seconds, and starts the SMTP transaction only if it can
   * end inside the attempt. The heartbeat timeout covers the longest silence: the database reads before
   * the send plus one whole SMTP transaction (config/index.ts refuses SMTP timeouts that do not fit).
   * The outbox makes retries safe, so they never end: a relay outage delays mail, never drops it.
   */
  mail: {
    startToCloseTimeout: 60 * SECOND,
    heartbeatTimeout: 40 * SECOND,
    retry: { initialInterval: SECOND, backoffCoefficient: 2, maximumInterval: 2 * MINUTE, nonRetryableErrorTypes: businessFailures },
  },
  /**
   * The card bureau (activities/card-production.ts): one production order, idempotent per application.
   * A bureau may be slow to answer and down for hours: longer attempts, slower retries, no end.
   */
  cardBureau: {
    startToCloseTimeout: MINUTE,
    retry: { initialInterval: 5 * SECOND, backoffCoefficient: 2, maximumInterval: 10 * MINUTE, nonRetryableErrorTypes: businessFailures },
  },
  /**
   * A check an Update handler waits on while its HTTP caller waits (the PIN check at activation).
   * Bounded: after 15 s the Update fails and the caller hears so, nothing changed; it may retry.
   */
  insideUpdate: {
    startToCloseTimeout: 5 * SECOND,
    scheduleToCloseTimeout: 15 * SECOND,
    retry: { initialInterval: 500, backoffCoefficient: 2, maximumInterval: 2 * SECOND, nonRetryableErrorTypes: businessFailures },
  },
  /**
   * A page of the nightly reconciliation: up to a few hundred database reads and Temporal calls (a few
   * seconds), heartbeating after each record, so a lost worker is noticed in 20 s.
   */
  sweepPage: {
    startToCloseTimeout: MINUTE,
    heartbeatTimeout: 20 * SECOND,
    retry: { initialInterval: SECOND, backoffCoefficient: 2, maximumInterval: 5 * MINUTE, nonRetryableErrorTypes: businessFailures },
  },
} satisfies Record<string, ActivityProfile>;

export type ProfileName = keyof typeof PROFILES;

/**
 * The longest SMTP transaction a mail attempt may start (the sum of the transport's timeouts): with the
 * outbox reads before it (up to 10 s), it must end before the heartbeat timeout, or Temporal would start
 * a second attempt while the first still talks to the relay. config/index.ts checks SMTP_SOCKET_TIMEOUT_SECONDS against it.
 */
export const MAIL_SMTP_BUDGET_MAX_MS = PROFILES.mail.heartbeatTimeout - 10 * SECOND;

/** Local activities: a read of the worker's own configuration, no I/O. */
export const LOCAL_PROFILE = { startToCloseTimeout: 5 * SECOND } as const;

/** The one activity run as a local activity (workflows/support.ts `loadRules`). */
type LocalActivity = 'loadBusinessRules';

/** Which profile each activity runs under. */
export const ACTIVITY_PROFILE: Record<Exclude<keyof Activities, LocalActivity>, ProfileName> = {
  // mail
  sendEmail: 'mail',
  sendCardPinEmail: 'mail',
  sendCompanyDigest: 'mail',
  notifyAccountHolder: 'mail',
  issueAccountLink: 'mail',
  // the card bureau
  produceCard: 'cardBureau',
  // checks inside Updates
  verifyCardPin: 'insideUpdate',
  // the nightly reconciliation
  reconcilePage: 'sweepPage',
  // database reads and writes
  recordApplicationReceived: 'database',
  recordApplicationProgress: 'database',
  reissueCardPin: 'database',
  forgetCardPin: 'database',
  recordCardHandover: 'database',
  recordCardActivated: 'database',
  markCardExpiring: 'database',
  recordCardBlockSchedule: 'database',
  blockCardRecord: 'database',
  expireCardRecord: 'database',
  createReplacementApplication: 'database',
  markContractSlaBreached: 'database',
  recordContractDecision: 'database',
  countDigestCompanies: 'database',
  listDigestCompanies: 'database',
  loadLicenceWatch: 'database',
  recordLicenceRenewal: 'database',
  recordLicenceBridging: 'database',
  listCompanyCargoCards: 'database',
  blockCompanyCargoCards: 'database',
  terminateContractForExpiredLicence: 'database',
  activateAccount: 'database',
  changeAccountPassword: 'database',
  lapseAccount: 'database',
  recordAccountLock: 'database',
  recordSignIn: 'database',
  recordCustomerNumbers: 'database',
  lapseCustomerNumberLink: 'database',
  listOpenCargoCardApplications: 'database',
  checkApplicationPreconditions: 'database',
  blockCardOfCancelledApplication: 'database',
  // a database read and a Temporal start (a CargoCard application makes sure its company's watch runs)
  ensureLicenceWatch: 'database',
};

/** The longest one attempt of any activity may run: what a worker's shutdown must wait for. */
export function longestAttemptMs(): number {
  return Math.max(LOCAL_PROFILE.startToCloseTimeout, ...Object.values(PROFILES).map((p) => p.startToCloseTimeout));
}
