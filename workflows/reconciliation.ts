/**
 * The nightly reconciliation, fired by the Schedule 'nightly-reconciliation'
 * (schedules/definitions.ts): every record that should have a long-lived
 * workflow gets one. Licence watches first (companies with CargoCards, an
 * approved contract and a transport licence), then pickup holds (cards held at
 * the service point). Page by page, each page one activity that starts what is
 * missing; continue-as-new every few pages; the counts are the result.
 */
import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import {
  emptyReconcileCounts,
  RECONCILED_KINDS,
  type ReconcileCounts,
  type ReconciliationInput,
  type ReconciliationResult,
  type ReconciliationState,
} from './definitions';
import { acts, showStatus } from './support';

const DEFAULT_PAGE_SIZE = 200;
const DEFAULT_PAGES_PER_RUN = 20;
/** Record IDs kept for operators to look at. */
const MAX_ATTENTION = 100;

export async function reconciliation(input: ReconciliationInput = {}): Promise<ReconciliationResult> {
  const pageSize = input.pageSize ?? DEFAULT_PAGE_SIZE;
  const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
  const state: ReconciliationState = input.state ?? {
    kind: RECONCILED_KINDS[0]!,
    cursor: null,
    counts: { 'licence-watches': emptyReconcileCounts(), 'pickup-holds': emptyReconcileCounts() },
    attention: [],
  };

  for (let page = 0; ; page++) {
    if (page === pagesPerRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof reconciliation>({ ...input, state });
    }
    showStatus({ phase: 'running', nextDueAt: null, details: `Reconciling ${state.kind}: ${summary(state)}` });
    const result = await acts.reconcilePage({ kind: state.kind, after: state.cursor, limit: pageSize });
    const counts = state.counts[state.kind];
    for (const key of Object.keys(counts) as (keyof ReconcileCounts)[]) counts[key] += result[key];
    for (const id of result.completedIds) {
      if (state.attention.length < MAX_ATTENTION) state.attention.push(`${state.kind}:${id}`);
    }
    if (result.nextCursor !== null) {
      state.cursor = result.nextCursor;
      continue;
    }
    const next = RECONCILED_KINDS[RECONCILED_KINDS.indexOf(state.kind) + 1];
    if (!next) break;
    state.kind = next;
    state.cursor = null;
  }

  showStatus({ phase: 'done', nextDueAt: null, details: `Reconciled: ${summary(state)}` });
  return { counts: state.counts, attention: state.attention };
}

function summary(state: ReconciliationState): string {
  return RECONCILED_KINDS.map((kind) => {
    const c = state.counts[kind];
    return `${kind} ${c.checked} checked, ${c.started} started, ${c.restarted} restarted, ${c.completed} completed (attention)`;
  }).join('; ');
}
