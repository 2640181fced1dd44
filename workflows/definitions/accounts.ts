/**
 * Portal accounts (PROCESSES.md section 6): registration with a 24-hour
 * activation link, password resets with 24-hour single-use links, lock and
 * unlock by customer service. Shared by the API, the workers and the workflows.
 *
 * Links: the token is created and mailed inside one activity and never enters
 * workflow history; the workflow, the record and the API only know its SHA-256
 * hash. The state query carries no hashes. Passwords: a reset's Update
 * carries a reference to the new hash, which stays in the database.
 */
import { ApplicationFailure } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { FailureType } from './failures';
import type { AccountPhase, CustomerNumberProof } from '../../domain/vocabulary';

export const accountWorkflowId = (accountId: string): string => `account:${accountId}`;

export type { AccountPhase } from '../../domain/vocabulary';
export type LinkPurpose = 'activation' | 'reset';

/** Resets, password changes, locks and unlocks per run before continue-as-new keeps the history small. */
export const ACCOUNT_EVENTS_PER_RUN = 50;

/** A link the workflow issued; `tokenHash` is the SHA-256 (hex) of the mailed token. */
export interface AccountLink {
  purpose: LinkPurpose;
  /** 1, 2, ... per purpose: with the workflow ID it keys the email, so each link is mailed once. */
  issue: number;
  tokenHash: string;
  /** ISO instant: the workflow's timer closes the link then. */
  expiresAt: string;
  closed?: { reason: 'used' | 'expired' | 'revoked'; at: string };
}

/** Everything a run hands to the next on continue-as-new. */
export interface AccountCarried extends CustomerNumbersCarried {
  phase: AccountPhase;
  link?: AccountLink;
  resetsIssued: number;
  locks: number;
  activatedAt?: string;
  lapsedAt?: string;
  passwordChangedAt?: string;
  lock?: { reason: string; by: string; at: string };
  resetRequested: boolean;
  /** Runs of the continue-as-new chain, this one included. */
  runs: number;
  /** Sign-in (absent in runs from before sign-in existed): wrong passwords in a row, and the last sign-in. */
  failedSignIns?: number;
  lastSignInAt?: string;
}

export interface PortalAccountInput {
  accountId: string;
  customerNumber: string;
  companyId: string;
  /** ISO instant of the registration. */
  registeredAt: string;
  /** Present on continue-as-new. */
  carried?: AccountCarried;
  /** Overrides ACCOUNT_EVENTS_PER_RUN (tests, tuning). */
  eventsPerRun?: number;
}

export interface PortalAccountResult {
  phase: 'lapsed';
  lapsedAt: string;
}

/** What operators and the API may see: no token hashes. */
export interface AccountState extends Omit<AccountCarried, 'link' | 'numberLink'> {
  accountId: string;
  customerNumber: string;
  registeredAt: string;
  link?: Omit<AccountLink, 'tokenHash'>;
  numberLink?: Omit<CustomerNumberLink, 'tokenHash'>;
}

export interface ActivateInput {
  tokenHash: string;
}
export interface ResetPasswordInput {
  tokenHash: string;
  /**
   * The reference of the new password's hash, which the API stored in
   * `pending_passwords`: neither the password nor its hash reaches a workflow.
   */
  passwordRef?: string;
  /**
   * Only in histories recorded before the hash moved out of them: the hash
   * itself. Replayed as it was; a new Update that carries it is refused.
   */
  passwordHash?: string;
}
/** `pw_` and 16 random bytes, base64url (api/services/accounts.ts). */
export const PASSWORD_REF = /^pw_[A-Za-z0-9_-]{22}$/;
export interface LockInput {
  reason: string;
  /** Customer-service user ID. */
  by: string;
}
export interface UnlockInput {
  by: string;
}
export interface AccountUpdateResult {
  phase: AccountPhase;
  at: string;
}

export const activateAccountUpdate = defineUpdate<AccountUpdateResult, [ActivateInput]>('activate');
export const resetPasswordUpdate = defineUpdate<AccountUpdateResult, [ResetPasswordInput]>('resetPassword');
export const lockAccountUpdate = defineUpdate<AccountUpdateResult, [LockInput]>('lock');
export const unlockAccountUpdate = defineUpdate<AccountUpdateResult, [UnlockInput]>('unlock');
/** "Forgotten password": a reset link goes out when the account is active; otherwise nothing happens. */
export const requestResetSignal = defineSignal('requestReset');
export const accountStateQuery = defineQuery<AccountState>('accountState');

/** The link was valid once but is no more (used, expired, revoked, or the registration lapsed): HTTP 410. */

export function linkGone(message: string, reason: 'used' | 'expired' | 'revoked' | 'lapsed'): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.Gone, message, nonRetryable: true, details: [{ field: 'token', reason }] });
}

// ---- sign-in (docs/accounts.md) ------------------------------------------------------------

/** The versions of the terms of use and the privacy statement a user accepted. */
export interface AcceptedVersions {
  terms?: string;
  privacy?: string;
}
/**
 * A sign-in attempt as the API judged the password (the hash never leaves the
 * API). The workflow judges the account: only an active one signs in; it
 * counts wrong passwords in a row and locks at the configured number.
 */
export interface SignInAttempt {
  passwordOk: boolean;
  /** Versions accepted with this attempt; with `passwordOk`, recorded on the account. */
  accepted?: AcceptedVersions;
  /** false: newer terms still need accepting, so the password counts as right but nobody is signed in. */
  complete: boolean;
}
export type SignInResult =
  | { outcome: 'signed-in'; at: string; previousAt?: string }
  | { outcome: 'acceptance-required' }
  | { outcome: 'wrong-password'; failures: number; locked: boolean };

/** Refused by its validator for any account that is not active (no history is written for it). */
export const signInUpdate = defineUpdate<SignInResult, [SignInAttempt]>('signIn');
/** The lock a run of wrong passwords sets; customer service unlocks it like any other lock. */
export const SIGN_IN_LOCK = { by: 'system', reason: 'Zugang gesperrt: too many wrong passwords in a row' } as const;
// ---- several customer numbers on one account (docs/accounts-terminals.md) ---------------

/** Marks the histories in which the account handled customer numbers (new Updates, the confirmation link's timer). */
export const CUSTOMER_NUMBERS_PATCH = 'account-customer-numbers';

/** Link purposes besides the account's own `link`: the confirmation link for adding a customer number has a slot of its own. */
export type AccountLinkPurpose = LinkPurpose | 'customer-number';

/** A customer number added to the account after registration (the registered one is `customerNumber`). */
export interface AddedCustomerNumber {
  customerNumber: string;
  companyId: string;
  addedAt: string;
  /** A Terminal-ID of that customer number, or a confirmation link its registered contact used. */
  proof: CustomerNumberProof;
}

/** The open confirmation link for one customer number, mailed to that customer's registered contact. */
export interface CustomerNumberLink {
  customerNumber: string;
  companyId: string;
  issue: number;
  tokenHash: string;
  expiresAt: string;
  closed?: { reason: 'used' | 'expired' | 'revoked'; at: string };
}

/** What AccountCarried keeps for this (optional: histories from before have none). */
export interface CustomerNumbersCarried {
  customerNumbers?: AddedCustomerNumber[];
  numberLink?: CustomerNumberLink;
  numberLinksIssued?: number;
}

export interface AddCustomerNumberInput {
  customerNumber: string;
  companyId: string;
  /** The API matched it against an active terminal of the customer number. */
  terminalId: string;
}
export interface RequestCustomerNumberInput {
  customerNumber: string;
  companyId: string;
}
export interface CustomerNumbersResult {
  customerNumbers: AddedCustomerNumber[];
  at: string;
  /** When a confirmation link was mailed: until when it works. */
  expiresAt?: string;
}

export const addCustomerNumberUpdate = defineUpdate<CustomerNumbersResult, [AddCustomerNumberInput]>('addCustomerNumber');
export const requestCustomerNumberUpdate = defineUpdate<CustomerNumbersResult, [RequestCustomerNumberInput]>('requestCustomerNumber');
export const confirmCustomerNumberUpdate = defineUpdate<CustomerNumbersResult, [ActivateInput]>('confirmCustomerNumber');
export const removeCustomerNumberUpdate = defineUpdate<CustomerNumbersResult, [{ customerNumber: string }]>('removeCustomerNumber');
