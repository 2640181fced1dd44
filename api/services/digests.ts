/**
 * Monthly digest runs: trigger a month (one run per month at a time, under
 * `digest:<period>`), list the runs with their progress, read one.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { BusinessCalendar } from '../../domain/calendar';
import { digestWindowOf, outsideDigestWindow } from '../../domain/digest';
import type { monthlyDigest } from '../../workflows/monthly-digest';
import {
  DIGEST_WORKFLOW_ID_PREFIX,
  digestProgressQuery,
  digestWorkflowId,
  SA,
  type DigestProgress,
  type MonthlyDigestResult,
} from '../../workflows/definitions';
import { conflict, notFound } from '../errors';
import type { ServiceDeps } from './deps';

const LIST_QUERY =
  `WorkflowType = 'monthlyDigest' AND WorkflowId STARTS_WITH '${DIGEST_WORKFLOW_ID_PREFIX}' ` +
  `AND ExecutionStatus != 'ContinuedAsNew'`;

/** 409 naming the window, when the month's digest may not run now (the API's and the Schedule trigger's check). */
export function refuseOutsideDigestWindow(period: string, now: Date, calendar: BusinessCalendar): void {
  const outside = outsideDigestWindow(period, now, calendar);
  if (!outside) return;
  const { opensAt, closesAt } = digestWindowOf(period, calendar);
  throw conflict(outside, { window: { opensAt: opensAt.toISOString(), closesAt: closesAt.toISOString() } });
}

export function createDigestService(deps: ServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const { workflow } = deps.temporal;

  /** Running: the progress query; completed: the result; otherwise none. */
  async function progressOf(run: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status'>): Promise<DigestProgress | null> {
    try {
      if (run.status.name === 'RUNNING') return await workflow.getHandle(run.workflowId).query(digestProgressQuery);
      if (run.status.name === 'COMPLETED') {
        return ((await workflow.getHandle(run.workflowId, run.runId).result()) as MonthlyDigestResult).progress;
      }
    } catch {
      // A run whose worker does not answer a query still lists, without progress.
    }
    return null;
  }

  async function view(run: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status' | 'startTime' | 'closeTime'>) {
    const progress = await progressOf(run);
    return {
      period: run.workflowId.slice(DIGEST_WORKFLOW_ID_PREFIX.length),
      workflowId: run.workflowId,
      runId: run.runId,
      status: run.status.name,
      startTime: (progress ? new Date(progress.startedAt) : run.startTime).toISOString(),
      closeTime: run.closeTime?.toISOString() ?? null,
      progress,
    };
  }

  return {
    /**
     * Starts the month's run, or returns the one that runs. Only inside the month's window (its first Wednesday
     * 08:00 to its end, domain/digest.ts): before, its items are not due; after, they are no longer that month's.
     * Inside the window a finished month may run again (the outbox mails nobody twice).
     */
    async trigger(period: string) {
      refuseOutsideDigestWindow(period, now(), deps.calendar);
      const workflowId = digestWorkflowId(period);
      try {
        const handle = await workflow.start<typeof monthlyDigest>('monthlyDigest', {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [{ period }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          typedSearchAttributes: [{ key: SA.phase, value: 'running' }],
          staticSummary: `Monthly digest ${period} (triggered through the API)`,
        });
        return { period, workflowId, runId: handle.firstExecutionRunId, started: true };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const running = await workflow.getHandle(workflowId).describe();
        return { period, workflowId, runId: running.runId, started: false };
      }
    },

    /** The most recent runs first (visibility is eventually consistent: a run just started may be missing). */
    async list(limit: number) {
      const runs: WorkflowExecutionInfo[] = [];
      for await (const run of workflow.list({ query: LIST_QUERY, pageSize: limit })) {
        runs.push(run);
        if (runs.length === limit) break;
      }
      runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
      return { runs: await Promise.all(runs.map(view)) };
    },

    /** The latest run of a month. */
    async get(period: string) {
      try {
        return await view(await workflow.getHandle(digestWorkflowId(period)).describe());
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`no digest run for ${period}`);
        throw err;
      }
    },
  };
}
