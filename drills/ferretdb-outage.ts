/**
 * Drill 3: take FerretDB away mid-run, twice: frozen with SIGSTOP (its
 * sockets stay open and answer nothing) and then SIGKILLed and started again
 * on the same data folder and port. Activities fail or time out and are
 * retried; once it is back, every case must reach its target, nothing lost,
 * no email twice.
 */
import { DrillStack, say, sleep, type DrillResult } from './stack';
import { progress } from './temporal-restart';
import { CardWorkload, clockNote } from './workload';

export interface FerretDbOutageOptions {
  applications: number;
  /** Seconds FerretDB stays frozen (SIGSTOP ... SIGCONT); 0 skips this outage. */
  freezeSeconds: number;
  /** Seconds FerretDB stays dead (SIGKILL ... start); 0 skips this outage. */
  downSeconds: number;
  concurrency?: number;
  /** How long one case may take, faults included (default 25 minutes). */
  caseTimeoutMinutes?: number;
  keep?: boolean;
}

export async function ferretDbOutageDrill(o: FerretDbOutageOptions): Promise<DrillResult> {
  say(`drill ferretdb-outage: ${o.applications} card applications; FerretDB frozen ${o.freezeSeconds}s, then killed for ${o.downSeconds}s`);
  say(`clock: ${clockNote()}`);
  const stack = new DrillStack({ name: 'ferretdb-outage', keep: o.keep });
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
    const outages: { kind: string; atSecond: number; inFlight: number; done: number; seconds: number }[] = [];
    const at = (kind: string, seconds: number) => ({ kind, atSecond: Math.round((Date.now() - started) / 1000), inFlight: workload.inFlight, done: workload.done, seconds });

    if (o.freezeSeconds > 0) {
      await progress(workload, 0.2, running);
      if (workload.inFlight > 0) {
        outages.push(at('SIGSTOP', o.freezeSeconds));
        say(`freeze: ${workload.inFlight} cases in flight, ${workload.done} finished`);
        stack.freeze('ferretdb', true);
        await sleep(o.freezeSeconds * 1000);
        stack.freeze('ferretdb', false);
      }
    }
    if (o.downSeconds > 0) {
      await progress(workload, 0.55, running);
      if (workload.inFlight > 0) {
        outages.push(at('SIGKILL', o.downSeconds));
        say(`kill: ${workload.inFlight} cases in flight, ${workload.done} finished`);
        await stack.kill('ferretdb');
        await sleep(o.downSeconds * 1000);
        await stack.startFerretDb();
        stack.note('FerretDB started again on the same data folder and port');
      }
    }
    await running;
    const { figures, problems } = await workload.verify();
    if (outages.length === 0) problems.push('no outage happened while cases were in flight');
    passed = problems.length === 0;
    return {
      drill: 'ferretdb-outage',
      passed,
      figures: { ...figures, outages, workerStarts: stack.workerStarts, exitedOnTheirOwn: stack.unexpectedExits, seconds: Math.round((Date.now() - started) / 1000) },
      problems,
    };
  } finally {
    await stack.stop(o.keep || !passed);
  }
}
