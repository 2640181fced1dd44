/**
 * Builds the worker: one task queue, all workflows, all activities, wired to
 * the dependencies it is given. workers/main.ts runs it; tests build it on
 * their own servers.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { HEARTBEAT_THROTTLE_MS } from '../activities/email';
import { dataConverter } from '../codec/data-converter';
import type { TemporalConfig, WorkerDeploymentVersion } from '../config';
import type { PayloadKey } from '../config/payload-keys';
import { temporalConnectionOptions } from '../config/temporal';
import { workerTracingOptions, type Tracing } from '../observability/tracing';
import { SHUTDOWN_FORCE_MS, SHUTDOWN_GRACE_MS } from './shutdown';

/** Printed once the worker polls; `make up` waits for it. */
export const WORKER_READY_LINE = 'worker: polling';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Workflows kept in memory between their tasks (WORKER_MAX_CACHED_WORKFLOWS overrides it). Most cases sleep
 * for weeks to years (60,000 card lives at the issuer's size): one evicted costs a replay of its short history
 * when its timer fires, one cached costs memory for as long as it sleeps. The SDK's default, from the heap size
 * limit (about 2,300 on a 4 GiB heap), took the worker past 1 GiB of RSS in the sleeping benchmark
 * (docs/benchmarks.md); 1,000 keeps it under, with room for every case that is actually busy.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 1000;

export interface WorkerSetup {
  temporal: TemporalConfig;
  deps: ActivityDeps;
  /** Encrypt every payload (codec/); required so no worker can run without. */
  payloadKeys: readonly PayloadKey[];
  /** A prebuilt bundle or other overrides (tests, benchmarks). */
  options?: Partial<WorkerOptions>;
  connection?: NativeConnection;
  /** Poll as this Worker Deployment Version (config.worker.deployment); unset: unversioned (tests, the time-skipping server). */
  deployment?: WorkerDeploymentVersion;
  /** Spans of workflows and activities, and the request ID in activity logs (observability/tracing.ts). */
  tracing?: Tracing;
}

export async function createWorker(setup: WorkerSetup): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = setup.connection ?? (await NativeConnection.connect(temporalConnectionOptions(setup.temporal)));
  const worker = await Worker.create({
    connection,
    namespace: setup.temporal.namespace,
    taskQueue: setup.temporal.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(setup.deps),
    // The email outbox relies on its acceptance heartbeat going out at once (activities/email.ts).
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    // Each workflow type's behaviour is in workflows/versioning.ts; the default covers none today.
    ...(setup.deployment
      ? { workerDeploymentOptions: { version: setup.deployment, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' as const } }
      : {}),
    ...(setup.tracing ? workerTracingOptions(setup.tracing) : {}),
    // A stopping worker lets every activity in flight finish (workers/shutdown.ts).
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    shutdownForceTime: SHUTDOWN_FORCE_MS,
    maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
    ...setup.options,
    dataConverter: dataConverter(setup.payloadKeys),
  });
  return { worker, connection };
}
