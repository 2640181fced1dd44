/**
 * Drill 1: SIGKILL the worker again and again while card applications are in
 * flight. Every case must reach its target and no email may be sent twice
 * (counted at the SMTP receiver by Message-ID and by recipient + subject).
 */
import { DrillStack, say, sleep, type DrillResult } from './stack';
import { CardWorkload, clockNote } from './workload';

export interface WorkerKillOptions {
  applications: number;
  kills: number;
  /** Seconds between a restarted worker being ready and the next kill. */
  intervalSeconds: number;
  /** Seconds the worker stays dead. */
  downSeconds: number;
  concurrency?: number;
  /** How long one case may take, faults included (default 25 minutes). */
  caseTimeoutMinutes?: number;
  keep?: boolean;
}

export async function workerKillDrill(o: WorkerKillOptions): Promise<DrillResult> {
  say(`drill worker-kill: ${o.applications} card applications, ${o.kills} worker SIGKILLs every ~${o.intervalSeconds}s (down ${o.downSeconds}s each)`);
  say(`clock: ${clockNote()}`);
  const stack = new DrillStack({ name: 'worker-kill', keep: o.keep });
  const started = Date.now();
  let passed = false;
  try {
    await stack.start();
    const workload = new CardWorkload(stack, {
      applications: o.applications,
      perCompany: 10,
      concurrency: o.concurrency ?? o.applications,
      caseTimeoutMs: (o.caseTimeoutMinutes ?? 25) * 60_000,
    });
    let finished = false;
    const running = workload.run().then(() => void (finished = true));

    const kills: { at: string; atSecond: number; inFlight: number; done: number }[] = [];
    for (let k = 0; k < o.kills && !finished; k++) {
      // Jittered, so kills land in different moments of activities and workflow tasks.
      await Promise.race([sleep(o.intervalSeconds * 1000 * (0.5 + Math.random())), running]);
      if (finished) break;
      kills.push({ at: new Date().toISOString(), atSecond: Math.round((Date.now() - started) / 1000), inFlight: workload.inFlight, done: workload.done });
      say(`kill ${k + 1}/${o.kills}: ${workload.inFlight} cases in flight, ${workload.done} finished`);
      await stack.kill('worker');
      await sleep(o.downSeconds * 1000);
      await stack.startWorker();
    }
    if (kills.length < o.kills) say(`the workload finished after ${kills.length} of ${o.kills} kills`);
    await running;
    const { figures, problems } = await workload.verify();
    if (kills.length === 0) problems.push('no kill happened while cases were in flight');
    passed = problems.length === 0;
    return {
      drill: 'worker-kill',
      passed,
      figures: { ...figures, workerKills: kills.length, kills, workerStarts: stack.workerStarts, exitedOnTheirOwn: stack.unexpectedExits, seconds: Math.round((Date.now() - started) / 1000) },
      problems,
    };
  } finally {
    await stack.stop(o.keep || !passed);
  }
}
