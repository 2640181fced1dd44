/**
 * What every workflow shares: the activity proxies (one per timeout/retry
 * profile), the business rules of the deployment, and how a workflow shows
 * operators where it stands (search attributes + current details).
 */
import { proxyActivities, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import type { BusinessRules } from '../domain/rules';
import { FailureType, SA } from './definitions';

/** Side effects on records and mail: retried with backoff until they succeed, business failures excepted. */
export const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: Object.values(FailureType),
  },
});

const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '5 seconds' });

/**
 * The deployment's business rules (closure dates, renewal window, ...), read
 * from configuration by a local activity so the value is recorded in history.
 * Called once per run; long-lived workflows pick up changes on continue-as-new.
 */
export function loadRules(): Promise<BusinessRules> {
  return local.loadBusinessRules();
}

export interface Status {
  phase: string;
  /** The next moment something is due, or null when nothing is. */
  nextDueAt: Date | null;
  slaBreached?: boolean;
  /** One line for operators: what the case waits for, and until when. */
  details: string;
  extra?: SearchAttributeUpdatePair[];
}

/** Publishes where the case stands: search attributes to find it, details to read it. */
export function showStatus(status: Status): void {
  upsertSearchAttributes([
    { key: SA.phase, value: status.phase },
    { key: SA.nextDueAt, value: status.nextDueAt },
    ...(status.slaBreached === undefined ? [] : [{ key: SA.slaBreached, value: status.slaBreached }]),
    ...(status.extra ?? []),
  ]);
  setCurrentDetails(status.details);
}
