/**
 * Drill: a rolling deploy of the worker under load. Twice, while card
 * applications are in flight and mail queues at a slow SMTP relay, a new
 * worker is started and the old one gets SIGTERM (start the new one, stop the
 * old: what Docker, Kubernetes or a deploy script does). The old worker must
 * drain: stop polling, let every activity in flight finish, exit 0
 * (workers/shutdown.ts). Then every history is read: no activity may have
 * been cancelled (an ActivityTaskCanceled event, or an attempt that failed
 * with a cancellation and was retried); attempts that timed out are counted
 * and reported; no case may be lost, no email sent twice (the card
 * workload's own checks).
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
const hasInfo = (f: Failure, info: 'canceledFailureInfo' | 'timeoutFailureInfo'): boolean => Boolean(f && (f[info] || hasInfo(f.cause, info)));

/** Every activity attempt in every workflow of the namespace, by how it ended when it did not complete. */
export interface ActivityOutcomes {
  workflows: number;
  activitiesScheduled: number;
  activitiesCancelled: number;
  attemptsCancelled: number;
  attemptsTimedOut: number;
  attemptsRetriedOtherwise: number;
  workflowTaskTimeouts: number;
}

export async function activityOutcomes(stack: DrillStack): Promise<{ figures: ActivityOutcomes; examples: string[] }> {
  const figures: ActivityOutcomes = { workflows: 0, activitiesScheduled: 0, activitiesCancelled: 0, attemptsCancelled: 0, attemptsTimedOut: 0, attemptsRetriedOtherwise: 0, workflowTaskTimeouts: 0 };
  const examples: string[] = [];
  const scheduledType = new Map<string, string>();
  for await (const wf of stack.client.workflow.list({ query: stack.ownWorkflowsQuery })) {
    figures.workflows += 1;
    const history = await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const id = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes) {
        figures.activitiesScheduled += 1;
        scheduledType.set(`${wf.runId}:${id}`, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      }
      if (e.activityTaskCanceledEventAttributes) {
        figures.activitiesCancelled += 1;
        examples.push(`${wf.workflowId}: activity cancelled (event ${id})`);
      }
      if (e.activityTaskTimedOutEventAttributes) figures.attemptsTimedOut += 1;
      if (e.workflowTaskTimedOutEventAttributes) figures.workflowTaskTimeouts += 1;
      const started = e.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1) {
        const type = scheduledType.get(`${wf.runId}:${String(started.scheduledEventId)}`);
        if (hasInfo(started.lastFailure, 'canceledFailureInfo')) {
          figures.attemptsCancelled += 1;
          examples.push(`${wf.workflowId}: ${type} attempt ${started.attempt} after a cancelled one`);
        } else if (hasInfo(started.lastFailure, 'timeoutFailureInfo')) {
          figures.attemptsTimedOut += 1;
          examples.push(`${wf.workflowId}: ${type} attempt ${started.attempt} after a timed-out one`);
        } else figures.attemptsRetriedOtherwise += 1;
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
    const outcomes = await activityOutcomes(stack);
    const { activitiesCancelled, attemptsCancelled, attemptsTimedOut } = outcomes.figures;
    if (activitiesCancelled + attemptsCancelled > 0) problems.push(`${activitiesCancelled + attemptsCancelled} activity attempt(s) cancelled:\n    ${outcomes.examples.slice(0, 10).join('\n    ')}`);
    // Not a failure, but reported: an activity task the server hands to the old worker in the instant it stops
    // polling is never run there and waits out its timeout (docs/drills.md, "worker-rolling").
    if (attemptsTimedOut > 0) say(`${attemptsTimedOut} activity attempt(s) timed out and were retried:\n    ${outcomes.examples.filter((e) => e.includes('timed-out')).slice(0, 10).join('\n    ')}`);
    const timedOut = outcomes.examples.filter((e) => e.includes('timed-out')).slice(0, 10);
    return { faults: replacements.length, figures: { workerReplacements: replacements.length, replacements, ...outcomes.figures, timedOut }, problems };
  });
}
