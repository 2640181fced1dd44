/**
 * Drill 3: take FerretDB away mid-run, twice: frozen with SIGSTOP (its
 * sockets stay open and answer nothing) and then SIGKILLed and started again
 * on the same data folder and port. Activities fail or time out and are
 * retried; once it is back, every case must reach its target, nothing lost,
 * no email twice.
 */
import { cardDrill, type CardDrillOptions } from './card-drill';
import { say, sleep, type DrillResult } from './stack';

export interface FerretDbOutageOptions extends CardDrillOptions {
  /** Seconds FerretDB stays frozen (SIGSTOP ... SIGCONT); 0 skips this outage. */
  freezeSeconds: number;
  /** Seconds FerretDB stays dead (SIGKILL ... start); 0 skips this outage. */
  downSeconds: number;
}

export function ferretDbOutageDrill(o: FerretDbOutageOptions): Promise<DrillResult> {
  const headline = `${o.applications} card applications; FerretDB frozen ${o.freezeSeconds}s, then killed for ${o.downSeconds}s`;
  return cardDrill('ferretdb-outage', headline, o, async ({ stack, workload, progress, second }) => {
    const outages: { kind: string; atSecond: number; inFlight: number; done: number; seconds: number }[] = [];
    const at = (kind: string, seconds: number) => ({ kind, atSecond: second(), inFlight: workload.inFlight, done: workload.done, seconds });
    if (o.freezeSeconds > 0) {
      await progress(0.2);
      if (workload.inFlight > 0) {
        outages.push(at('SIGSTOP', o.freezeSeconds));
        say(`freeze: ${workload.inFlight} cases in flight, ${workload.done} finished`);
        stack.freeze('ferretdb', true);
        await sleep(o.freezeSeconds * 1000);
        stack.freeze('ferretdb', false);
      }
    }
    if (o.downSeconds > 0) {
      await progress(0.55);
      if (workload.inFlight > 0) {
        outages.push(at('SIGKILL', o.downSeconds));
        say(`kill: ${workload.inFlight} cases in flight, ${workload.done} finished`);
        await stack.kill('ferretdb');
        await sleep(o.downSeconds * 1000);
        await stack.startFerretDb();
        stack.note('FerretDB started again on the same data folder and port');
      }
    }
    return { faults: outages.length, figures: { outages } };
  });
}
