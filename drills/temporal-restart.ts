/**
 * Drill 2: SIGKILL the Temporal dev server mid-run and start it again on the
 * same SQLite file and port. The worker and the API reconnect on their own;
 * every case must reach its target, nothing lost, no email twice.
 */
import { cardDrill, type CardDrillOptions } from './card-drill';
import { say, sleep, type DrillResult } from './stack';

export interface TemporalRestartOptions extends CardDrillOptions {
  restarts: number;
  /** Seconds the server stays dead each time. */
  downSeconds: number;
}

export function temporalRestartDrill(o: TemporalRestartOptions): Promise<DrillResult> {
  const headline = `${o.applications} card applications, ${o.restarts} dev-server SIGKILL(s), down ${o.downSeconds}s each`;
  return cardDrill('temporal-restart', headline, o, async ({ stack, workload, progress, second }) => {
    const restarts: { atSecond: number; inFlight: number; done: number; readyAfterSeconds: number }[] = [];
    for (let r = 0; r < o.restarts; r++) {
      await progress((r + 1) / (o.restarts + 2));
      if (workload.inFlight === 0) break;
      const at = { atSecond: second(), inFlight: workload.inFlight, done: workload.done };
      say(`restart ${r + 1}/${o.restarts}: ${at.inFlight} cases in flight, ${at.done} finished`);
      await stack.kill('temporalServer');
      await sleep(o.downSeconds * 1000);
      const t = Date.now();
      await stack.startTemporal();
      const readyAfterSeconds = Math.round((Date.now() - t) / 100) / 10;
      stack.note(`Temporal dev server started again on the same db file and port (ready in ${readyAfterSeconds}s)`);
      restarts.push({ ...at, readyAfterSeconds });
    }
    return { faults: restarts.length, figures: { serverRestarts: restarts.length, restarts } };
  });
}
