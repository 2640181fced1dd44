/**
 * What every workflow shares: the activity proxies (one per profile, by what
 * the activity talks to), the business rules of the deployment, and how a workflow shows
 * operators where it stands (search attributes + current details).
 */
import { currentUpdateInfo, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { BusinessCalendar } from '../domain/calendar';
import type { BusinessRules } from '../domain/rules';
import { ACTIVITY_PROFILE, LOCAL_PROFILE, PROFILES, type ProfileName } from './activity-profiles';
import { invalidInput, MEMO, SA } from './definitions';

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

/**
 * The deployment's calendar, for a workflow that registers its handlers before its first await: `calendar()`
 * is usable once `loaded` has settled (the story and every async handler await `loaded` first); a validator,
 * which cannot wait, asks `ifLoaded()` and checks the calendar's rules only when it is.
 */
export function calendarLoader(): { loaded: Promise<BusinessRules>; calendar: () => BusinessCalendar; ifLoaded: () => BusinessCalendar | undefined } {
  let calendar: BusinessCalendar | undefined;
  const loaded = loadRules().then((rules) => {
    calendar = new BusinessCalendar(rules);
    return rules;
  });
  return { loaded, calendar: () => calendar!, ifLoaded: () => calendar };
}

/** The workflow's clock as an ISO timestamp (deterministic: the time of the current activation). */
export const now = (): string => new Date().toISOString();

/** A validator's check that a text field is given: a 400 naming the field, before anything is recorded. */
export function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput(`${field} is required`, { field });
}

/**
 * Runs asynchronous steps one after another, in the order they were asked for: an Update handler's write and
 * the story's never overlap (FerretDB rewrites the whole document on an update, so one of two concurrent
 * writes could be lost). A failed step fails its caller only; the next step still runs.
 */
export function inOrder(): <T>(step: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(step: () => Promise<T>): Promise<T> => {
    const run = tail.then(step);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** How many Update answers a run hands to the next: a retry comes within minutes, a workflow runs for years. */
export const ANSWERS_CARRIED = 10;

/**
 * The answers of a workflow's Updates, by Update ID, carried across continue-as-new. Temporal knows an Update's
 * ID within its run only: a client that retries an Update (same ID, api/services/updates.ts) after its change
 * made the run continue as new would otherwise run it again on the new run, or be refused as a repeat. The
 * handlers (and validators) answer such a retry from `earlier()`, keep each answer with `keep()`, and the run
 * passes `carry()` to the next one. Nothing here issues a command.
 */
export function updateAnswers<T>(fromPreviousRun: Record<string, T> | undefined) {
  const answered: Record<string, T> = { ...fromPreviousRun };
  const id = (): string | undefined => currentUpdateInfo()?.id;
  return {
    /** The answer the previous runs gave the Update being handled, if they did. */
    earlier(): T | undefined {
      const updateId = id();
      return updateId === undefined ? undefined : fromPreviousRun?.[updateId];
    },
    /** Keeps the answer of the Update being handled, and returns it. */
    keep<A extends T>(answer: A): A {
      const updateId = id();
      if (updateId !== undefined) answered[updateId] = answer;
      return answer;
    },
    /** The last answers, for the next run's input (undefined when there are none). */
    carry(): Record<string, T> | undefined {
      const recent = Object.entries(answered).slice(-ANSWERS_CARRIED);
      return recent.length ? Object.fromEntries(recent) : undefined;
    },
  };
}

export interface Status {
  phase: string;
  /** The next moment something is due, or null when nothing is. */
  nextDueAt: Date | null;
  slaBreached?: boolean;
  /** One line for operators: what the case waits for, and until when. */
  details: string;
  extra?: SearchAttributeUpdatePair[];
  /** More of the case's state for readers that must not wake it (the memo; e.g. the licence watch's plan). */
  memo?: Record<string, unknown>;
}

/**
 * Runs recorded before it set no memo. With it, the details (and `Status.memo`) are in the case's memo too:
 * the API answers `GET /v1/cases/{id}` and a licence read from a describe, which the server answers alone,
 * instead of a Query that has a worker replay a sleeping case (issue 13).
 */
const STATUS_IN_MEMO = 'status-in-memo';

/** Publishes where the case stands: search attributes to find it, details to read it. */
export function showStatus(status: Status): void {
  upsertSearchAttributes([
    { key: SA.phase, value: status.phase },
    { key: SA.nextDueAt, value: status.nextDueAt },
    ...(status.slaBreached === undefined ? [] : [{ key: SA.slaBreached, value: status.slaBreached }]),
    ...(status.extra ?? []),
  ]);
  setCurrentDetails(status.details);
  if (patched(STATUS_IN_MEMO)) upsertMemo({ [MEMO.waitingFor]: status.details, ...status.memo });
}
