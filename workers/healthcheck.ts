/**
 * The worker container's healthcheck (docker-compose.yml): exits 0 while the
 * worker on this host polls its task queue, that is while Temporal has seen a
 * workflow-task poll in the last two minutes from an identity ending in
 * `@<this hostname>` (the SDK's default identity is `<pid>@<hostname>`, and a
 * container's hostname is its own). Connects with the worker's configuration.
 */
import { hostname } from 'node:os';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';

const MAX_POLL_AGE_MS = 120_000;
const WORKFLOW_TASK_QUEUE = 1; // temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW

/** A protobuf Timestamp (seconds as a Long or a number) in epoch milliseconds; 0 when absent. */
function epochMs(ts: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

async function main(): Promise<number> {
  const config = loadConfig();
  const connection = await Connection.connect({ ...temporalConnectionOptions(config.temporal), connectTimeout: 5_000 });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: config.temporal.taskQueue },
      taskQueueType: WORKFLOW_TASK_QUEUE,
    });
    const suffix = `@${hostname()}`;
    const now = Date.now();
    const mine = (pollers ?? []).filter((p) => (p.identity ?? '').endsWith(suffix));
    const fresh = mine.filter((p) => now - epochMs(p.lastAccessTime) <= MAX_POLL_AGE_MS);
    if (fresh.length > 0) {
      console.log(`worker healthy: ${fresh.map((p) => p.identity).join(', ')} polls task queue "${config.temporal.taskQueue}"`);
      return 0;
    }
    console.error(
      mine.length > 0
        ? `worker unhealthy: no poll from *${suffix} on task queue "${config.temporal.taskQueue}" in the last ${MAX_POLL_AGE_MS / 1000} s`
        : `worker unhealthy: no poller *${suffix} on task queue "${config.temporal.taskQueue}"`,
    );
    return 1;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`worker unhealthy: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
