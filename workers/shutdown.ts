/**
 * How long a stopping worker waits, derived from the activity profiles
 * (workflows/activity-profiles.ts), never typed a second time.
 *
 * On SIGTERM (or SIGINT) the SDK stops polling and lets the tasks in flight
 * finish. Only after SHUTDOWN_GRACE_MS, longer than any attempt may run, are
 * activities still running cancelled (their attempt fails and is retried on
 * another worker); after SHUTDOWN_FORCE_MS the worker gives up and exits 1.
 * A supervisor must wait longer still before it kills the process:
 * STOP_GRACE_PERIOD_S is the worker's `stop_grace_period` in
 * docker-compose.yml (test/unit/compose-file.test.ts checks that they match).
 *
 * Stopping to poll is where a task can be lost: the SDK interrupts its
 * outstanding long polls, and a task the server hands to one of them in that
 * instant reaches nobody; it waits out its start-to-close timeout (30-60 s)
 * before another worker gets it. It happens at a rolling deploy, because the
 * stopping worker's last workflow tasks schedule activities in that very
 * instant (docs/drills.md, worker-rolling). So the polls are left open for
 * POLL_SHUTDOWN_WAIT_MS after the signal: what they bring is run here, in the
 * grace time. The server-side fix (Temporal server with
 * EnableCancelWorkerPollsOnShutdown, which the SDK uses when the namespace
 * advertises worker_poll_complete_on_shutdown) is not in Temporal 1.29.
 */
import { longestAttemptMs } from '../workflows/activity-profiles';

/** Every attempt that started before the signal can end on its own, with time to report its result. */
export const SHUTDOWN_GRACE_MS = longestAttemptMs() + 10_000;
/** How long the polls stay open after the signal (the SDK core's TEMPORAL_POLL_SHUTDOWN_INTERRUPT_WAIT_MS). */
export const POLL_SHUTDOWN_WAIT_MS = 5_000;
/** Cancelled activities get this long to give up and report before the worker stops waiting. */
export const SHUTDOWN_FORCE_MS = SHUTDOWN_GRACE_MS + 15_000;
/** What a supervisor (Docker, Kubernetes' terminationGracePeriodSeconds) must allow between SIGTERM and SIGKILL. */
export const STOP_GRACE_PERIOD_S = Math.ceil((SHUTDOWN_FORCE_MS + 5_000) / 1000);

/** Printed by workers/main.ts when a signal starts the drain, and when it ended (the rolling-worker drill reads both). */
export const WORKER_DRAINING_LINE = 'worker: draining';
export const WORKER_DRAINED_LINE = 'worker: drained';
