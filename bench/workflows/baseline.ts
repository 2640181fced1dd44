/**
 * The baselines the benchmarks compare the project's workflows with, on the
 * same server and worker: a bare workflow with one no-op activity (throughput),
 * the same with a local no-op activity (what a local activity saves), and a
 * trivial sleeping workflow (sleeping processes). Deterministic workflow code,
 * like workflows/.
 */
import { proxyActivities, proxyLocalActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from '../../workflows/definitions';
import type { BenchActivities } from '../activities';

// The same timeout as the project's activity proxy (workflows/support.ts).
const remote = proxyActivities<BenchActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '5 seconds' });

/** Throughput baseline: one no-op activity, then done. */
export async function benchBare(): Promise<void> {
  await remote.benchNoop();
}

/** The same with a local activity: what one activity costs less when it runs in the workflow task. */
export async function benchBareLocal(): Promise<void> {
  await local.benchNoop();
}

/**
 * Sleeping baseline: says when it is due (as every project workflow does, and
 * as the benchmark detects that it sleeps), then waits on one timer.
 */
export async function benchSleeper(input: { until: string }): Promise<void> {
  upsertSearchAttributes([{ key: SA.nextDueAt, value: new Date(input.until) }]);
  await sleep(Math.max(1, Date.parse(input.until) - Date.now()));
}
