/**
 * Contract approval (PROCESSES.md section 1).
 *
 * The back-office decides through the `decideContract` Update; the decision is
 * due within 24 working hours of the registration. When that passes undecided
 * the back-office lead is notified, the case is marked breached, and the
 * workflow keeps waiting: a late decision is still accepted.
 */
import { condition, setHandler, allHandlersFinished, workflowInfo, startChild, ParentClosePolicy, patched } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { BusinessCalendar } from '../domain/calendar';
import {
  conflict,
  contractStateQuery,
  decideContractUpdate,
  invalidInput,
  licenceWatchWorkflowId,
  SA,
  type ContractApprovalInput,
  type ContractDecision,
  type ContractDecisionResult,
  type ContractState,
} from './definitions';
import { acts, loadRules, now, showStatus } from './support';
import type { licenceWatch } from './licence-watch';

/** decideContract answers once the decision is recorded, not after the decision mail (issue 15). */
const ANSWER_ONCE_RECORDED_PATCH = 'contract-decision-answered-once-recorded';

export async function contractApproval(input: ContractApprovalInput): Promise<ContractDecisionResult> {
  // Registered before the first await: an Update that arrives with the first
  // workflow task (a decision right after registration) must find its handler.
  let pending: ContractState['decision'];
  let result: ContractDecisionResult | undefined = undefined;
  setHandler(
    decideContractUpdate,
    async (decision) => {
      pending = { ...decision, decidedAt: now() };
      await condition(() => result !== undefined);
      return result!;
    },
    { validator: (decision) => validateDecision(decision, pending) },
  );

  const calendar = new BusinessCalendar(await loadRules());
  const dueAt = calendar.contractDueAt(new Date(input.submittedAt));
  const state: ContractState = {
    companyId: input.companyId,
    phase: 'awaiting-decision',
    submittedAt: input.submittedAt,
    dueAt: dueAt.toISOString(),
    slaBreached: false,
  };
  setHandler(contractStateQuery, () => state);

  const waiting = (): void =>
    showStatus({
      phase: 'awaiting-decision',
      nextDueAt: state.slaBreached ? null : dueAt,
      slaBreached: state.slaBreached,
      details: state.slaBreached
        ? `Waiting for the back-office decision: OVERDUE since ${calendar.toLocalIso(dueAt)} (escalated to the lead)`
        : `Waiting for the back-office decision, due by ${calendar.toLocalIso(dueAt)}`,
    });
  waiting();

  const decidedInTime = await condition(() => pending !== undefined, Math.max(0, dueAt.getTime() - Date.now()));
  if (!decidedInTime) {
    state.slaBreached = true;
    state.escalatedAt = now();
    await acts.markContractSlaBreached({ companyId: input.companyId, escalatedAt: state.escalatedAt });
    await acts.sendEmail({
      key: { workflowId: workflowInfo().workflowId, purpose: 'sla-escalation' },
      to: { kind: 'backoffice-lead' },
      template: 'contract-sla-breached',
      data: { companyId: input.companyId, companyName: input.companyName, dueAt: calendar.toLocalIso(dueAt) },
    });
    waiting();
    await condition(() => pending !== undefined);
  }

  const decision = pending!;
  const recorded = await acts.recordContractDecision({ companyId: input.companyId, ...decision });
  state.decision = decision;
  state.phase = decision.outcome;
  if (recorded.customerNumber) state.customerNumber = recorded.customerNumber;
  const answer: ContractDecisionResult = {
    outcome: decision.outcome,
    decidedAt: decision.decidedAt,
    ...(recorded.customerNumber ? { customerNumber: recorded.customerNumber } : {}),
  };
  // The decision is durable once recorded: the Update answers now; the mail and the licence watch follow.
  // Patched: runs from before answered after them, and their histories must replay so.
  if (patched(ANSWER_ONCE_RECORDED_PATCH)) result = answer;

  await acts.sendEmail({
    key: { workflowId: workflowInfo().workflowId, purpose: `contract-${decision.outcome}` },
    to: { kind: 'company-contact', companyId: input.companyId },
    template: decision.outcome === 'approved' ? 'contract-approved' : 'contract-rejected',
    data: {
      companyName: input.companyName,
      customerNumber: recorded.customerNumber ?? '',
      reason: decision.reason ?? '',
    },
  });

  if (decision.outcome === 'approved' && recorded.requestsCargoCards) await startLicenceWatch(input.companyId);

  showStatus({
    phase: decision.outcome,
    nextDueAt: null,
    slaBreached: state.slaBreached,
    details: `Contract ${decision.outcome} on ${calendar.toLocalIso(new Date(decision.decidedAt))} by ${decision.decidedBy}`,
    extra: recorded.customerNumber ? [{ key: SA.customerNumber, value: recorded.customerNumber }] : [],
  });
  result = answer;
  await condition(allHandlersFinished);
  return result;
}

/** Section 4: a company with CargoCards gets its transport-licence watch, which outlives this workflow. */
async function startLicenceWatch(companyId: string): Promise<void> {
  try {
    await startChild<typeof licenceWatch>('licenceWatch', {
      workflowId: licenceWatchWorkflowId(companyId),
      args: [{ companyId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

function validateDecision(decision: ContractDecision, earlier: ContractState['decision']): void {
  if (earlier) {
    throw conflict(`The contract was already ${earlier.outcome} on ${earlier.decidedAt}; a second decision is refused`, {
      outcome: earlier.outcome,
      decidedAt: earlier.decidedAt,
    });
  }
  if (decision?.outcome !== 'approved' && decision?.outcome !== 'rejected') {
    throw invalidInput('outcome must be "approved" or "rejected"', { field: 'outcome' });
  }
  if (typeof decision.decidedBy !== 'string' || decision.decidedBy.trim() === '') {
    throw invalidInput('decidedBy is required', { field: 'decidedBy' });
  }
  if (decision.outcome === 'rejected' && (typeof decision.reason !== 'string' || decision.reason.trim() === '')) {
    throw invalidInput('a rejection needs a reason for the company', { field: 'reason' });
  }
}
