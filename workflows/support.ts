/**
 * What every workflow shares: the activity proxies (one per profile, by what
 * the activity talks to), the business rules of the deployment, and how a workflow shows
 * operators where it stands (search attributes + current details).
 */
import { proxyActivities, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import type { BusinessRules } from '../domain/rules';
import { ACTIVITY_PROFILE, LOCAL_PROFILE, PROFILES, type ProfileName } from './activity-profiles';
import { SA } from './definitions';

/**
 * Every activity through the proxy of its profile (workflows/activity-profiles.ts): mail, database,
 * card bureau, checks inside Updates, reconciliation pages; each with its own timeouts and retries.
 */
const proxies = Object.fromEntries(
  (Object.keys(PROFILES) as ProfileName[]).map((name) => [name, proxyActivities<Activities>(PROFILES[name])]),
) as Record<ProfileName, ReturnType<typeof proxyActivities<Activities>>>;

export const acts = Object.fromEntries(
  Object.entries(ACTIVITY_PROFILE).map(([activity, profile]) => [activity, proxies[profile as ProfileName][activity as keyof Activities]]),
) as unknown as Omit<ReturnType<typeof proxyActivities<Activities>>, 'loadBusinessRules'>;

const local = proxyLocalActivities<Activities>(LOCAL_PROFILE);

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
