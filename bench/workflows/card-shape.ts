/**
 * The throughput benchmark's floor for a card process: a skeleton with the
 * shape of workflows/card-application.ts from the back-office approval (the
 * moment A) until the card is produced and held for pickup (urgent pickup),
 * every step a no-op: the same Update, activities, search-attribute and memo upserts,
 * child workflow, local activity and timer, in the same order and with the
 * same concurrency (the approval's record write in the Update handler, the
 * production write ordered after it). What the card costs above it is the
 * project's own code (bench/throughput.ts).
 *
 * It cannot drift unnoticed: the benchmark counts the commands in a real card
 * application's history of the same run and in a skeleton's, and fails when
 * they differ (bench/history-shape.ts).
 */
import {
  condition,
  defineUpdate,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { MEMO, SA } from '../../workflows/definitions';
import type { BenchActivities } from '../activities';

// The same timeouts as the baselines (bench/workflows/baseline.ts).
const remote = proxyActivities<BenchActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '5 seconds' });

/** The back-office approval, as approveByBackofficeUpdate. */
export const benchShapeApproveUpdate = defineUpdate<void>('benchShapeApprove');

/** As workflows/support.ts showStatus: the phase and when the case is due next, and the status line in the memo. */
const publish = (phase: string): void => {
  upsertSearchAttributes([{ key: SA.phase, value: phase }, { key: SA.nextDueAt, value: null }]);
  upsertMemo({ [MEMO.waitingFor]: phase });
};

/** The card application after its card-user approval, waiting for the back-office's. */
export async function benchCardShape(): Promise<void> {
  let approved = false;
  let planned = false;
  let writes: Promise<void> = Promise.resolve();
  const inOrder = (write: () => Promise<void>): Promise<void> => (writes = writes.then(write));
  setHandler(benchShapeApproveUpdate, async () => {
    approved = true;
    publish('awaiting-approvals');
    await inOrder(() => remote.benchNoop()); // the approval recorded
    await condition(() => planned);
  });
  await condition(() => approved);
  await remote.benchNoop(); // the rules checked at the approval
  planned = true;
  publish('awaiting-production'); // produced at once: no separate write, no second check
  publish('in-production');
  await inOrder(() => remote.benchNoop()); // the card produced and recorded on the application
  publish('in-production');
  await remote.benchNoop(); // the PIN mail (which forgets the PIN)
  await remote.benchNoop(); // the next-steps mail: produced
  publish('held-for-pickup');
  // Abandoned: the hold outlives this skeleton, which ends where the card waits for its pickup.
  await startChild(benchHoldShape, { workflowId: `${workflowInfo().workflowId}-hold`, parentClosePolicy: ParentClosePolicy.ABANDON });
  await inOrder(() => remote.benchNoop()); // held for pickup, recorded
}

/** As workflows/pickup-hold.ts up to its wait for the pickup. */
export async function benchHoldShape(): Promise<void> {
  await local.benchNoop(); // the business rules (a local activity)
  publish('held');
  await remote.benchNoop(); // the card recorded as held
  await remote.benchNoop(); // the ready-for-pickup mail
  await condition(() => false, '7 days'); // the hold's days
}
