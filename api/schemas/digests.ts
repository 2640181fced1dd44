/** The monthly digest runs and the Schedules (PROCESSES.md section 5; the nightly reconciliation). */
import { z } from 'zod';
import { instant } from './common';

export const period = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM')
  .meta({ description: 'The month the digest covers', example: '2026-03' });

export const triggerDigestBody = z.strictObject({ period }).meta({ id: 'TriggerDigest' });
export const periodParam = z.strictObject({ period });
export const listDigestsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(12).meta({ description: 'How many runs, most recent first' }),
});

export const digestProgress = z
  .object({
    period: z.string(),
    sent: z.number().int(),
    skippedEmpty: z.number().int().meta({ description: 'Companies without open items: no email' }),
    alreadySent: z.number().int().meta({ description: 'Mailed by an earlier run of the same month' }),
    failed: z.number().int(),
    failedCompanyIds: z.array(z.string()),
    estimatedTotal: z.number().int().nullable(),
    cursor: z.string().nullable(),
    pages: z.number().int(),
    runs: z.number().int().meta({ description: 'Runs of the continue-as-new chain' }),
    startedAt: instant,
    finishedAt: instant.nullable(),
  })
  .meta({ id: 'DigestProgress' });

export const digestRun = z
  .object({
    period: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    status: z.enum(['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT', 'CONTINUED_AS_NEW', 'UNKNOWN', 'UNSPECIFIED', 'PAUSED']),
    startTime: instant,
    closeTime: instant.nullable(),
    progress: digestProgress.nullable().meta({ description: 'Null when the run failed or its worker does not answer' }),
  })
  .meta({ id: 'DigestRun' });

export const digestTriggered = z
  .object({
    period: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    started: z.boolean().meta({ description: 'False: the month was already running; this is that run' }),
  })
  .meta({ id: 'DigestTriggered' });

export const digestRuns = z.object({ runs: z.array(digestRun) }).meta({ id: 'DigestRuns' });

export const scheduleIdParam = z.strictObject({
  scheduleId: z.string().regex(/^[A-Za-z0-9][\w.:-]{0,199}$/, 'is not a schedule ID'),
});
export const scheduleNoteBody = z
  .strictObject({ note: z.string().trim().min(1).max(500).optional().meta({ description: 'Why, for other operators' }) })
  .meta({ id: 'ScheduleNote' });

export const scheduleView = z
  .object({
    scheduleId: z.string(),
    workflowType: z.string(),
    paused: z.boolean(),
    note: z.string().nullable(),
    timeZone: z.string().nullable(),
    calendars: z.array(z.string()).meta({ description: 'Each calendar of the spec, in words', example: ['Wednesday, day 1-7 of the month, 08:00'] }),
    nextActionTimes: z.array(z.string()).meta({ description: 'Local times with offset, the next first' }),
    recentActions: z.array(z.object({ scheduledAt: instant, takenAt: instant, workflowId: z.string() })),
    numActionsTaken: z.number().int(),
  })
  .meta({ id: 'Schedule' });

export const scheduleList = z.object({ schedules: z.array(scheduleView) }).meta({ id: 'Schedules' });
export const scheduleTriggered = z.object({ scheduleId: z.string(), triggered: z.literal(true) }).meta({ id: 'ScheduleTriggered' });
