/**
 * The frame the three card drills share (worker-kill, temporal-restart,
 * ferretdb-outage): a stack of their own, the card workload running, the
 * drill's faults while it runs, then the count of what was lost or duplicated.
 * A drill only says which faults it causes and what it reports about them.
 */
import { DatasetCheck } from './dataset-check';
import { DrillStack, say, sleep, type DrillResult } from './stack';
import { CardWorkload, clockNote } from './workload';

export interface CardDrillOptions {
  applications: number;
  concurrency?: number;
  /** How long one case may take, faults included (default 25 minutes). */
  caseTimeoutMinutes?: number;
  keep?: boolean;
  /** A slow SMTP relay (ms per message), so mail waits in the worker's pool. */
  smtpDelayMs?: number;
  /** The worker's SMTP pool size (default 5). */
  smtpMaxConnections?: number;
}

export interface DrillRun {
  stack: DrillStack;
  workload: CardWorkload;
  /** Settles once every case finished (reached its target or failed). */
  running: Promise<void>;
  finished(): boolean;
  /** Seconds since the drill started. */
  second(): number;
  /** Resolves once `fraction` of the cases finished, or the workload ended. */
  progress(fraction: number): Promise<void>;
}

export interface FaultReport {
  /** How many faults hit cases in flight: none fails the drill, it proved nothing. */
  faults: number;
  figures: Record<string, unknown>;
  /** What the drill's own checks found wrong (besides lost and duplicated cases and mail). */
  problems?: string[];
}

export async function cardDrill(name: string, headline: string, o: CardDrillOptions, causeFaults: (run: DrillRun) => Promise<FaultReport>): Promise<DrillResult> {
  say(`drill ${name}: ${headline}`);
  say(`clock: ${clockNote()}`);
  const stack = new DrillStack({ name, keep: o.keep, smtpDelayMs: o.smtpDelayMs, smtpMaxConnections: o.smtpMaxConnections });
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
    let over = false;
    const running = workload.run().then(() => void (over = true));
    const run: DrillRun = {
      stack,
      workload,
      running,
      finished: () => over,
      second: () => Math.round((Date.now() - started) / 1000),
      async progress(fraction) {
        while (!over && workload.done < fraction * workload.cases.length) await sleep(250);
      },
    };
    const report = await causeFaults(run);
    await running;
    // On a data set: its cases must have woken and mailed what they should before the mail is counted.
    const dataset = DatasetCheck.of(stack);
    await dataset?.settle();
    const { figures, problems } = await workload.verify((m) => dataset?.accounts(m) ?? false);
    problems.push(...(report.problems ?? []));
    const datasetReport = await dataset?.verify();
    if (datasetReport) {
      figures.dataset = datasetReport.figures;
      problems.push(...datasetReport.problems);
    }
    if (report.faults === 0) problems.push('no fault happened while cases were in flight');
    passed = problems.length === 0;
    return {
      drill: name,
      passed,
      figures: { ...figures, ...report.figures, workerStarts: stack.workerStarts, exitedOnTheirOwn: stack.unexpectedExits, seconds: run.second() },
      problems,
    };
  } finally {
    await stack.stop(o.keep || !passed);
  }
}
