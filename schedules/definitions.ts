/**
 * The Temporal Schedules of the system: when the timed processes fire. The
 * calendar lives here, in the Schedule, not in a sleeping workflow.
 *
 * - 'monthly-digest': the first Wednesday of each month (a Wednesday on day
 *   1-7) at rules.digestAt (08:00) in rules.timeZone (Europe/Amsterdam).
 * - 'nightly-reconciliation': every night at 03:30 local time, outside the
 *   02:00-03:00 hour that DST skips in March and repeats in October (a
 *   Schedule matches wall-clock times literally: 02:30 would be missed once
 *   and taken twice a year).
 */
import { ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { BusinessRules } from '../domain/rules';
import type { monthlyDigest, reconciliation } from '../workflows';

export const MONTHLY_DIGEST_SCHEDULE_ID = 'monthly-digest';
export const NIGHTLY_RECONCILIATION_SCHEDULE_ID = 'nightly-reconciliation';
export const RECONCILIATION_AT = { hour: 3, minute: 30 } as const;
/** Every schedule the project keeps (scheduleDefinitions below defines each, in this order). */
export const SCHEDULE_IDS = [MONTHLY_DIGEST_SCHEDULE_ID, NIGHTLY_RECONCILIATION_SCHEDULE_ID] as const;

export interface ScheduleConfig {
  temporal: { taskQueue: string };
  rules: BusinessRules;
}

type Definition = ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof monthlyDigest | typeof reconciliation>> & {
  state: { note: string };
};

const localTime = (hhmm: string) => ({ hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3, 5)) });

export function scheduleDefinitions(config: ScheduleConfig): Definition[] {
  const { timeZone, digestAt } = config.rules;
  const taskQueue = config.temporal.taskQueue;
  return [
    {
      scheduleId: MONTHLY_DIGEST_SCHEDULE_ID,
      spec: {
        calendars: [{ dayOfWeek: 'WEDNESDAY', dayOfMonth: { start: 1, end: 7 }, ...localTime(digestAt), comment: `First Wednesday of the month, ${digestAt}` }],
        timezone: timeZone,
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'monthlyDigest',
        // The run takes its month from the scheduled time; the schedule appends that time to this ID.
        workflowId: 'monthly-digest',
        args: [{}],
        taskQueue,
        staticSummary: 'Monthly digest (scheduled)',
      },
      policies: {
        // Backfilled months run one after the other; a server outage of up to 3 days still sends the month's digest.
        overlap: ScheduleOverlapPolicy.BUFFER_ALL,
        catchupWindow: '3 days',
      },
      state: { note: `Mails every company its open items on the first Wednesday of the month at ${digestAt} (${timeZone})` },
    },
    {
      scheduleId: NIGHTLY_RECONCILIATION_SCHEDULE_ID,
      spec: {
        calendars: [{ ...RECONCILIATION_AT, comment: 'Every night, 03:30' }],
        timezone: timeZone,
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'reconciliation',
        workflowId: 'nightly-reconciliation',
        args: [{}],
        taskQueue,
        staticSummary: 'Nightly reconciliation (scheduled)',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6 hours' },
      state: { note: 'Starts missing licence watches and pickup holds every night at 03:30' },
    },
  ];
}
