/**
 * Drill 2: SIGKILL the Temporal dev server mid-run and start it again on the
 * same SQLite file and port. The worker and the API reconnect on their own;
 * every case must reach its target, nothing lost, no email twice.
 */
import { DrillStack, say, sleep, type DrillResult } from './stack';
import { CardWorkload, clockNote } from './workload';

export interface TemporalRestartOptions {
  applications: number;
  restarts: number;
  /** Seconds the server stays dead each time. */
  downSeconds: number;
  concurrency?: number;
  /** How long one case may take, faults included (default 25 minutes). */
  caseTimeoutMinutes?: number;
  keep?: boolean;
}

/** Resolves once `fraction` of the cases finished (or the workload ended). */
export async function progress(workload: CardWorkload, fraction: number, running: Promise<unknown>): Promise<void> {
  let over = false;
  void running.then(() => (over = true));
  while (!over && workload.done < fraction * workload.cases.length) await sleep(250);
}

export async function temporalRestartDrill(o: TemporalRestartOptions): Promise<DrillResult> {
  say(`drill temporal-restart: ${o.applications} card applications, ${o.restarts} dev-server SIGKILL(s), down ${o.downSeconds}s each`);
  say(`clock: ${clockNote()}`);
  const stack = new DrillStack({ name: 'temporal-restart', keep: o.keep });
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
    const running = workload.run();
    const restarts: { atSecond: number; inFlight: number; done: number; readyAfterSeconds: number }[] = [];
    for (let r = 0; r < o.restarts; r++) {
      await progress(workload, (r + 1) / (o.restarts + 2), running);
      if (workload.inFlight === 0) break;
      const at = { atSecond: Math.round((Date.now() - started) / 1000), inFlight: workload.inFlight, done: workload.done };
      say(`restart ${r + 1}/${o.restarts}: ${at.inFlight} cases in flight, ${at.done} finished`);
      await stack.kill('temporalServer');
      await sleep(o.downSeconds * 1000);
      const t = Date.now();
      await stack.startTemporal();
      const readyAfterSeconds = Math.round((Date.now() - t) / 100) / 10;
      stack.note(`Temporal dev server started again on the same db file and port (ready in ${readyAfterSeconds}s)`);
      restarts.push({ ...at, readyAfterSeconds });
    }
    await running;
    const { figures, problems } = await workload.verify();
    if (restarts.length === 0) problems.push('no restart happened while cases were in flight');
    passed = problems.length === 0;
    return {
      drill: 'temporal-restart',
      passed,
      figures: {
        ...figures,
        serverRestarts: restarts.length,
        restarts,
        workerStarts: stack.workerStarts,
        exitedOnTheirOwn: stack.unexpectedExits,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      problems,
    };
  } finally {
    await stack.stop(o.keep || !passed);
  }
}
