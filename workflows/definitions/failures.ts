/**
 * Every expected business failure, by type. Workflows and activities throw
 * `ApplicationFailure`s with one of these types; the API maps each to an HTTP
 * status in one place (api/errors.ts).
 */
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  /** The input breaks a rule of the process (422). */
  BusinessRule: 'BusinessRuleViolation',
  /** The action conflicts with the state of the case, e.g. a second decision (409). */
  Conflict: 'Conflict',
  /** The input is malformed (400). */
  InvalidInput: 'InvalidInput',
  /** A referenced record does not exist (404). */
  NotFound: 'NotFound',
  /** Something that existed is no more, e.g. a used or expired single-use link (410). */
  Gone: 'Gone',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export function conflict(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.Conflict, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

export function invalidInput(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

export function businessRule(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.BusinessRule, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

export function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.NotFound, message, nonRetryable: true });
}
