/**
 * Drill 1: SIGKILL the worker again and again while card applications are in
 * flight. Every case must reach its target and no email may be sent twice
 * (counted at the SMTP receiver by Message-ID and by recipient + subject).
 */
import { cardDrill, type CardDrillOptions } from './card-drill';
import { say, sleep, type DrillResult } from './stack';

export interface WorkerKillOptions extends CardDrillOptions {
  kills: number;
  /** Seconds between a restarted worker being ready and the next kill. */
  intervalSeconds: number;
  /** Seconds the worker stays dead. */
  downSeconds: number;
}

export function workerKillDrill(o: WorkerKillOptions): Promise<DrillResult> {
  const headline = `${o.applications} card applications, ${o.kills} worker SIGKILLs every ~${o.intervalSeconds}s (down ${o.downSeconds}s each)`;
  return cardDrill('worker-kill', headline, o, async ({ stack, workload, running, finished, second }) => {
    const kills: { at: string; atSecond: number; inFlight: number; done: number }[] = [];
    for (let k = 0; k < o.kills && !finished(); k++) {
      // Jittered, so kills land in different moments of activities and workflow tasks.
      await Promise.race([sleep(o.intervalSeconds * 1000 * (0.5 + Math.random())), running]);
      if (finished()) break;
      kills.push({ at: new Date().toISOString(), atSecond: second(), inFlight: workload.inFlight, done: workload.done });
      say(`kill ${k + 1}/${o.kills}: ${workload.inFlight} cases in flight, ${workload.done} finished`);
      await stack.kill('worker');
      await sleep(o.downSeconds * 1000);
      await stack.startWorker();
    }
    if (kills.length < o.kills) say(`the workload finished after ${kills.length} of ${o.kills} kills`);
    return { faults: kills.length, figures: { workerKills: kills.length, kills } };
  });
}
