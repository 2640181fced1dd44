/**
 * The scheduled processes: the monthly digest (PROCESSES.md section 5) and the
 * nightly reconciliation. Workflow IDs, inputs, progress and queries, shared
 * by the API, the workers, the schedules and the workflows.
 */
import { defineQuery } from '@temporalio/workflow';

// ---- Monthly digest ---------------------------------------------------------------

/**
 * The one run that mails a month's digests: the API starts it, a scheduled
 * firing (or backfill) starts it as a child. So at most one run per month is
 * ever running, and a retry or re-trigger after it closed finds every email
 * already in the outbox.
 */
export const digestWorkflowId = (period: string): string => `digest:${period}`;
export const DIGEST_WORKFLOW_ID_PREFIX = 'digest:';

/** Each email's outbox key is `digest:<companyId>:<period>`, whichever run sends it. */
export const digestEmailKey = (companyId: string, period: string) => ({ workflowId: 'digest', purpose: companyId, period });

export interface DigestBatching {
  /** Company IDs per page (one listing activity each). */
  pageSize: number;
  /** Per-company activities in flight at once. */
  maxInFlight: number;
  /** Pages per run before continue-as-new, so the history stays small (~pageSize x pagesPerRun activities). */
  pagesPerRun: number;
}

export const DEFAULT_DIGEST_BATCHING: DigestBatching = { pageSize: 200, maxInFlight: 100, pagesPerRun: 5 };

export interface MonthlyDigestInput {
  /**
   * 'YYYY-MM': this run mails that month (started as `digest:<period>`).
   * Absent in a scheduled firing: it takes the month of its scheduled time and
   * starts `digest:<period>` as a child.
   */
  period?: string;
  batching?: Partial<DigestBatching>;
  /** Carried over continue-as-new. */
  progress?: DigestProgress;
}

export interface DigestProgress {
  period: string;
  /** Companies mailed, without open items (no email), mailed by an earlier run, failed (see failedCompanyIds). */
  sent: number;
  skippedEmpty: number;
  alreadySent: number;
  failed: number;
  failedCompanyIds: string[];
  /** Companies counted at the start (they may change while the run goes). */
  estimatedTotal: number | null;
  /** Last company ID done; the next page starts after it. */
  cursor: string | null;
  pages: number;
  /** Runs of the continue-as-new chain, this one included. */
  runs: number;
  startedAt: string;
  finishedAt: string | null;
}

export interface MonthlyDigestResult {
  period: string;
  /** The run that mails this month. */
  workflowId: string;
  /** `already-running`: a scheduled firing found the month's run busy and left it alone. */
  outcome: 'done' | 'already-running';
  progress: DigestProgress | null;
}

export type CompanyDigestOutcome = 'sent' | 'skipped-empty' | 'already-sent';

export const digestProgressQuery = defineQuery<DigestProgress>('digestProgress');

// ---- Nightly reconciliation -------------------------------------------------------------

/** The long-lived workflows every record of a kind should have, checked each night. */
export type ReconciledKind = 'licence-watches' | 'pickup-holds';
export const RECONCILED_KINDS: readonly ReconciledKind[] = ['licence-watches', 'pickup-holds'];

export interface ReconcileCounts {
  /** Records that should have a running workflow. */
  checked: number;
  running: number;
  /** No workflow existed: started. */
  started: number;
  /** The workflow had failed, timed out or was terminated: started again. */
  restarted: number;
  /** The workflow completed on its own although the record says it should run: left alone, for an operator. */
  completed: number;
}

export interface ReconcilePage extends ReconcileCounts {
  /** The last record ID of this page; null when there are no more. */
  nextCursor: string | null;
  /** IDs of records whose workflow completed though the record still qualifies (at most a few per page). */
  completedIds: string[];
}

export interface ReconciliationInput {
  pageSize?: number;
  pagesPerRun?: number;
  /** Carried over continue-as-new. */
  state?: ReconciliationState;
}

export interface ReconciliationState {
  kind: ReconciledKind;
  cursor: string | null;
  counts: Record<ReconciledKind, ReconcileCounts>;
  /** Records an operator should look at (bounded). */
  attention: string[];
}

export type ReconciliationResult = Pick<ReconciliationState, 'counts' | 'attention'>;

export const emptyReconcileCounts = (): ReconcileCounts => ({ checked: 0, running: 0, started: 0, restarted: 0, completed: 0 });
