/**
 * The same change as changed-workflows.ts, done right: behind patched(), so
 * histories recorded before the change take the old path on replay.
 */
import { patched, sleep } from '@temporalio/workflow';
import { contractApproval as current } from '../../workflows/contract-approval';
import type { ContractApprovalInput } from '../../workflows/definitions';

export async function contractApproval(input: ContractApprovalInput) {
  if (patched('extra-timer-before-approval')) await sleep('1 minute');
  return current(input);
}
