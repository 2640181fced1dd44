/**
 * The contract workflow with a change that is NOT behind patched(): an extra
 * timer before anything else. Old histories must fail to replay against it.
 */
import { sleep } from '@temporalio/workflow';
import { contractApproval as current } from '../../workflows/contract-approval';
import type { ContractApprovalInput } from '../../workflows/definitions';

export async function contractApproval(input: ContractApprovalInput) {
  await sleep('1 minute');
  return current(input);
}
