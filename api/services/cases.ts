/**
 * Case lookup: the state of any case from a describe of its workflow (status,
 * search attributes, summary and, from its memo, what it waits for now), and the cases of a company
 * from Temporal's visibility (eventually consistent: a case started a moment
 * ago may be missing for a second).
 */
import { WorkflowNotFoundError, type QueryDefinition, type TypedSearchAttributes } from '@temporalio/common';
import type { WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { MEMO, SA } from '../../workflows/definitions';
import { fromTemporal, notFound } from '../errors';
import type { ServiceDeps } from './deps';
import { readOutcome } from './updates';

/** The metadata query every workflow answers (the SDK's); its currentDetails is what the Web UI shows. */
const METADATA_QUERY = '__temporal_workflow_metadata';

function summaryOf(info: Omit<WorkflowExecutionInfo, 'raw'>) {
  const sa: TypedSearchAttributes = info.typedSearchAttributes;
  const text = (key: (typeof SA)[keyof typeof SA]) => {
    const v = sa.get(key as never) as unknown;
    return v === undefined || v === null ? undefined : v instanceof Date ? v.toISOString() : (v as string | boolean);
  };
  const fields = {
    phase: text(SA.phase),
    nextDueAt: text(SA.nextDueAt),
    slaBreached: text(SA.slaBreached),
    companyId: text(SA.companyId),
    customerNumber: text(SA.customerNumber),
    xsId: text(SA.xsId),
    cardNumber: text(SA.cardNumber),
    cardType: text(SA.cardType),
  };
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    startedAt: info.startTime.toISOString(),
    ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
  };
}

/**
 * A case's state as it published it in its memo (workflows/support.ts showStatus), which the server answers
 * without waking the case; a run recorded before it wrote that key is asked by its Query (a worker replays it).
 * The licence read and the card-application read use it.
 */
export async function publishedOrQueried<S>(handle: WorkflowHandle, memoKey: string, query: QueryDefinition<S>): Promise<S> {
  const { memo } = await handle.describe();
  if (memo && memoKey in memo) return memo[memoKey] as S;
  return handle.query(query);
}

/**
 * What a running case waits for: from its memo (workflows/support.ts showStatus), which the server answers
 * alone; a run recorded before the memo was written is asked (the SDK's metadata query), bounded, since an
 * idle worker must not hang the lookup.
 */
async function waitingForOf(handle: WorkflowHandle, memo: Record<string, unknown> | undefined): Promise<string | undefined> {
  const recorded = memo?.[MEMO.waitingFor];
  if (typeof recorded === 'string') return recorded || undefined;
  let timer: NodeJS.Timeout | undefined;
  const metadata = await Promise.race([
    handle.query<{ currentDetails?: string }>(METADATA_QUERY).catch(() => undefined),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 3000))),
  ]);
  clearTimeout(timer);
  return metadata?.currentDetails || undefined;
}

export function createCaseService(deps: ServiceDeps) {
  const { workflow } = deps.temporal;

  /** An Update's outcome (api/services/updates.ts): its result, its refusal as a problem, or still pending (202). */
  async function updateOutcome(workflowId: string, updateId: string): Promise<unknown> {
    try {
      return await readOutcome(workflow.getHandle(workflowId), updateId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`no update ${updateId} of case ${workflowId} is known`);
      throw fromTemporal(err);
    }
  }

  return {
    updateOutcome,
    async get(workflowId: string) {
      const handle = workflow.getHandle(workflowId);
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`no case ${workflowId}`);
        throw err;
      }
      const waitingFor = description.status.name === 'RUNNING' ? await waitingForOf(handle, description.memo) : undefined;
      const summary = await description.staticSummary();
      return {
        ...summaryOf(description),
        ...(summary ? { summary } : {}),
        ...(waitingFor ? { waitingFor } : {}),
        historyLength: description.historyLength,
      };
    },

    async ofCompany(companyId: string, filter: { status: 'running' | 'closed' | 'all'; limit: number }) {
      const status = { running: ` AND ExecutionStatus = 'Running'`, closed: ` AND ExecutionStatus != 'Running'`, all: '' }[filter.status];
      // companyId is validated against /^co_[A-Za-z0-9]+$/, so it cannot break out of the quotes.
      const cases = [];
      for await (const info of workflow.list({ query: `CompanyId = '${companyId}'${status}`, pageSize: filter.limit })) {
        cases.push(summaryOf(info));
        if (cases.length === filter.limit) break;
      }
      cases.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      return { companyId, cases };
    },
  };
}
