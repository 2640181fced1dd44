/**
 * Drill: a rolling deploy of the worker under load. Twice, while card
 * applications are in flight and mail queues at a slow SMTP relay, a new
 * worker is started and the old one gets SIGTERM (start the new one, stop the
 * old: what Docker, Kubernetes or a deploy script does). The old worker must
 * drain: stop polling, let every activity in flight finish, exit 0
 * (workers/shutdown.ts). Then every history is read: no activity may have
 * been cancelled (an ActivityTaskCanceled event, or an attempt that failed
 * with a cancellation and was retried); attempts that timed out are counted
 * and reported (those whose activity was scheduled during a hand-over
 * apart), and so are the activities a stopping worker started before its
 * SIGTERM and completed after it (the grace time at work); no case may be
 * lost, no email sent twice (the card workload's own checks).
 */
import type { temporal } from '@temporalio/proto';
import { cardDrill, type CardDrillOptions } from './card-drill';
import { say, sleep, type DrillResult, type DrillStack } from './stack';

export interface WorkerRollingOptions extends CardDrillOptions {
  replacements: number;
  /** Seconds between the start (or the last replacement) and the next replacement. */
  intervalSeconds: number;
}

type Failure = temporal.api.failure.v1.IFailure | null | undefined;
type Timestamp = temporal.api.history.v1.IHistoryEvent['eventTime'];
const hasInfo = (f: Failure, info: 'canceledFailureInfo' | 'timeoutFailureInfo'): boolean => Boolean(f && (f[info] || hasInfo(f.cause, info)));
const msOf = (t: Timestamp): number => (t ? Number(String(t.seconds ?? 0)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN);

/** One replacement as the history reader needs it: which worker was stopped, when, and how long it took. */
export interface HandOver {
  oldPid?: number;
  sigtermAt: number;
  drainSeconds: number;
}

/** Every activity attempt in every workflow of the namespace, by how it ended when it did not complete. */
export interface ActivityOutcomes {
  workflows: number;
  activitiesScheduled: number;
  activitiesCancelled: number;
  attemptsCancelled: number;
  attemptsTimedOut: number;
  /** Of those: the activity was scheduled while a worker was being replaced (SIGTERM - 2 s to its exit + 2 s). */
  attemptsTimedOutAtHandOver: number;
  attemptsRetriedOtherwise: number;
  workflowTaskTimeouts: number;
  /** The grace time at work: activities a stopping worker had started before its SIGTERM and completed after it. */
  finishedOnStoppingWorker: number;
  /** The longest of those, from the SIGTERM to the completion. */
  finishedOnStoppingWorkerLatestSeconds: number;
}

export async function activityOutcomes(stack: DrillStack, handOvers: HandOver[] = []): Promise<{ figures: ActivityOutcomes; examples: string[] }> {
  const figures: ActivityOutcomes = {
    workflows: 0, activitiesScheduled: 0, activitiesCancelled: 0, attemptsCancelled: 0, attemptsTimedOut: 0, attemptsTimedOutAtHandOver: 0,
    attemptsRetriedOtherwise: 0, workflowTaskTimeouts: 0, finishedOnStoppingWorker: 0, finishedOnStoppingWorkerLatestSeconds: 0,
  };
  const examples: string[] = [];
  const atHandOver = (ms: number) => handOvers.some((h) => ms >= h.sigtermAt - 2_000 && ms <= h.sigtermAt + h.drainSeconds * 1000 + 2_000);
  for await (const wf of stack.client.workflow.list({ query: stack.ownWorkflowsQuery })) {
    figures.workflows += 1;
    const history = await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const scheduled = new Map<string, { type: string; at: number }>();
    const started = new Map<string, { identity: string; at: number }>();
    for (const e of history.events ?? []) {
      const id = String(e.eventId);
      const at = msOf(e.eventTime);
      if (e.activityTaskScheduledEventAttributes) {
        figures.activitiesScheduled += 1;
        scheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
      }
      if (e.activityTaskCanceledEventAttributes) {
        figures.activitiesCancelled += 1;
        examples.push(`${wf.workflowId}: activity cancelled (event ${id})`);
      }
      if (e.activityTaskTimedOutEventAttributes) figures.attemptsTimedOut += 1;
      if (e.workflowTaskTimedOutEventAttributes) figures.workflowTaskTimeouts += 1;
      const start = e.activityTaskStartedEventAttributes;
      if (start) {
        const of = scheduled.get(String(start.scheduledEventId));
        started.set(String(start.scheduledEventId), { identity: start.identity ?? '', at });
        if ((start.attempt ?? 1) > 1) {
          if (hasInfo(start.lastFailure, 'canceledFailureInfo')) {
            figures.attemptsCancelled += 1;
            examples.push(`${wf.workflowId}: ${of?.type} attempt ${start.attempt} after a cancelled one`);
          } else if (hasInfo(start.lastFailure, 'timeoutFailureInfo')) {
            figures.attemptsTimedOut += 1;
            const handOver = of !== undefined && atHandOver(of.at);
            if (handOver) figures.attemptsTimedOutAtHandOver += 1;
            examples.push(`${wf.workflowId}: ${of?.type} attempt ${start.attempt} after a timed-out one${handOver ? ' (scheduled at a hand-over)' : ''}`);
          } else figures.attemptsRetriedOtherwise += 1;
        }
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        // Run by a worker that got SIGTERM while it ran: the grace time let it finish there.
        const run = started.get(String(done.scheduledEventId));
        const stopped = run && handOvers.find((h) => h.oldPid !== undefined && run.identity.startsWith(`${h.oldPid}@`) && run.at < h.sigtermAt && at > h.sigtermAt);
        if (stopped) {
          figures.finishedOnStoppingWorker += 1;
          figures.finishedOnStoppingWorkerLatestSeconds = Math.max(figures.finishedOnStoppingWorkerLatestSeconds, Math.round((at - stopped.sigtermAt) / 100) / 10);
        }
      }
    }
  }
  return { figures, examples };
}

export function workerRollingDrill(o: WorkerRollingOptions): Promise<DrillResult> {
  const headline = `${o.applications} card applications, the worker replaced ${o.replacements} times (new one started, old one SIGTERMed) every ~${o.intervalSeconds}s, SMTP relay answering in ${o.smtpDelayMs ?? 0} ms over ${o.smtpMaxConnections ?? 5} pooled connections`;
  return cardDrill('worker-rolling', headline, o, async ({ stack, workload, running, finished }) => {
    const replacements: Record<string, unknown>[] = [];
    const problems: string[] = [];
    for (let r = 0; r < o.replacements && !finished(); r++) {
      await Promise.race([sleep(o.intervalSeconds * 1000), running]);
      if (finished()) break;
      say(`replacement ${r + 1}/${o.replacements}: ${workload.inFlight} cases in flight, ${workload.done} finished, ${stack.mail.inProgress} mails at the relay`);
      const inFlight = workload.inFlight;
      const result = await stack.replaceWorker();
      replacements.push({ ...result, casesInFlight: inFlight });
      if (result.exitCode !== 0) problems.push(`the old worker (pid ${result.oldPid}) exited with code ${result.exitCode}, not 0 after draining`);
      if (!result.drained) problems.push(`the old worker (pid ${result.oldPid}) never said it drained`);
    }
    if (replacements.length < o.replacements) say(`the workload finished after ${replacements.length} of ${o.replacements} replacements`);
    await running;
    const outcomes = await activityOutcomes(stack, replacements as unknown as HandOver[]);
    const { activitiesCancelled, attemptsCancelled, attemptsTimedOut } = outcomes.figures;
    if (activitiesCancelled + attemptsCancelled > 0) problems.push(`${activitiesCancelled + attemptsCancelled} activity attempt(s) cancelled:\n    ${outcomes.examples.slice(0, 10).join('\n    ')}`);
    // Not a failure, but reported: an activity task the server hands to the old worker in the instant it stops
    // polling is never run there and waits out its timeout; the worker keeps its polls open a while after the
    // signal so that this does not meet its last workflow tasks (workers/shutdown.ts, docs/drills.md).
    say(`grace time at work: ${outcomes.figures.finishedOnStoppingWorker} activities in flight at a SIGTERM completed on the stopping worker (the last ${outcomes.figures.finishedOnStoppingWorkerLatestSeconds}s after it)`);
    if (attemptsTimedOut > 0) say(`${attemptsTimedOut} activity attempt(s) timed out and were retried:\n    ${outcomes.examples.filter((e) => e.includes('timed-out')).slice(0, 10).join('\n    ')}`);
    const timedOut = outcomes.examples.filter((e) => e.includes('timed-out')).slice(0, 10);
    return { faults: replacements.length, figures: { workerReplacements: replacements.length, replacements, ...outcomes.figures, timedOut }, problems };
  });
}
