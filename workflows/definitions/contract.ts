/**
 * The contract-approval process (PROCESSES.md section 1): its workflow ID,
 * input, state and the messages the API and operators send it.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export type { Language } from '../../domain/vocabulary';

export const contractWorkflowId = (companyId: string): string => `contract:${companyId}`;

export interface ContractApprovalInput {
  companyId: string;
  companyName: string;
  /** ISO instant of the registration; the SLA counts from here. */
  submittedAt: string;
}

export type ContractPhase = 'awaiting-decision' | 'approved' | 'rejected';

export interface ContractDecision {
  outcome: 'approved' | 'rejected';
  /** Required when rejecting; sent to the company. */
  reason?: string;
  /** Who decided (a back-office user ID). */
  decidedBy: string;
}

export interface ContractDecisionResult {
  outcome: ContractDecision['outcome'];
  decidedAt: string;
  /** Assigned on approval. */
  customerNumber?: string;
}

export interface ContractState {
  companyId: string;
  phase: ContractPhase;
  submittedAt: string;
  dueAt: string;
  slaBreached: boolean;
  escalatedAt?: string;
  decision?: ContractDecision & { decidedAt: string };
  customerNumber?: string;
}

export const decideContractUpdate = defineUpdate<ContractDecisionResult, [ContractDecision]>('decideContract');
export const contractStateQuery = defineQuery<ContractState>('contractState');
