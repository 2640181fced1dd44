/**
 * 4. Sleeping processes: `watches` transport-licence watches waiting on their
 * timers, against as many trivial sleeping workflows, each on a fresh worker.
 *
 * What is measured: the watches are started as the API starts them
 * (api/services/licences.ts `startLicenceWatch`, for approved CargoCard
 * companies whose licence expires in two years), `inFlight` start calls at a
 * time. "Started" is the last start call answered; "asleep" is when every one
 * of them has run to its first timer, seen in visibility: the watch sets
 * `NextDueAt` (its warning time) in the same workflow task that starts the
 * timer, and the baseline (bench/workflows/baseline.ts `benchSleeper`) does
 * the same before its one timer, so both are detected alike (a count query
 * polled every 2 seconds). Then, with the worker idle, its RSS, the V8 heap of
 * its main thread and of its workflow thread(s), and how many workflows its
 * cache holds (bounded by maxCachedWorkflows, reported as resolved).
 *
 * On a data set (`--data`): its card lives and licence watches, started when
 * it was built but never run, are brought asleep by ONE fresh worker (from
 * the worker polling until each has run its first task: bench/data.ts says how
 * that is seen), against as many trivial sleepers started the same way (all
 * started first, no worker polling their queue), then brought asleep by a
 * fresh worker of the same configuration.
 */
import { startLicenceWatch } from '../api/services/licences';
import type { CompanyDoc } from '../db/models';
import type { BenchContext, BenchResult } from './context';
import { notYetRunQuery, casesQuery, count, sleepersQuery } from './data';
import { companyDocs, insertCompanies, tag } from './fixtures';
import { cpuMeter, inParallel, MiB, now, progress, ratio, round, rssSampler, sleep, table, withRetries } from './measure';
import { licenceWatchWorkflowId } from '../workflows/definitions';
import type { BenchWorker } from './stack';
import { describeVariant } from './throughput';
import type { WorkerVariant } from './worker-config';

const YEAR = 365 * 86_400_000;

/** What a worker holding sleeping workflows uses, read once they are all asleep. */
interface WorkerMemoryFigures {
  rssMiB: number;
  rssPeakMiB: number;
  vmHwmMiB: number;
  mainHeapUsedMiB: number;
  workflowHeapUsedMiB: number;
  cachedWorkflows: number;
  maxCachedWorkflows: number;
  cpuSeconds: Record<string, number>;
}

function memoryFigures(
  stats: Awaited<ReturnType<BenchWorker['stats']>>,
  peakRss: number,
  vmHwmBytes: number,
  worker: BenchWorker,
  cpuSeconds: Record<string, number>,
): WorkerMemoryFigures {
  return {
    rssMiB: round(stats.rssBytes / MiB, 1),
    rssPeakMiB: round(peakRss / MiB, 1),
    vmHwmMiB: round(vmHwmBytes / MiB, 1),
    mainHeapUsedMiB: round(stats.mainHeapUsedBytes / MiB, 1),
    workflowHeapUsedMiB: round((stats.workflowHeapUsedBytes ?? NaN) / MiB, 1),
    cachedWorkflows: stats.status.numCachedWorkflows,
    maxCachedWorkflows: worker.info.resolved.maxCachedWorkflows,
    cpuSeconds,
  };
}

interface SleepFigures extends WorkerMemoryFigures {
  count: number;
  startedS: number;
  asleepS: number;
  startsPerSecond: number;
  asleepPerSecond: number;
  workerStartMs: number;
}

async function measure(
  ctx: BenchContext,
  worker: BenchWorker,
  label: string,
  workflowType: string,
  count: number,
  start: (i: number) => Promise<void>,
): Promise<SleepFigures> {
  const { stack, sizes, log } = ctx;
  await worker.idle(1000);
  const cpu = cpuMeter({ worker: worker.pid, ...stack.serverPids });
  const sampler = rssSampler(worker.pid);
  const p = progress(log, `${label} started`, count);
  const t0 = now();
  await inParallel(count, sizes.inFlight, async (i) => {
    await start(i);
    p.tick();
  });
  p.done();
  const startedMs = now() - t0;
  const query = `WorkflowType = '${workflowType}' AND TaskQueue = '${worker.taskQueue}' AND NextDueAt > '2000-01-01T00:00:00Z'`;
  let asleep = 0;
  let lastLog = now();
  for (;;) {
    asleep = (await stack.client.workflow.count(query)).count;
    if (asleep >= count) break;
    if (now() - lastLog > 15_000) {
      log(`  ${label} asleep: ${asleep}/${count} after ${Math.round((now() - t0) / 1000)} s`);
      lastLog = now();
    }
    if (now() - t0 > 3_600_000) throw new Error(`${label}: only ${asleep}/${count} asleep after an hour`);
    await sleep(2000); // a count query over every workflow costs the server too: not more often
  }
  const asleepMs = now() - t0;
  const cpuS = cpu.read();
  await worker.idle(3000);
  await sleep(2000);
  const stats = await worker.stats(true);
  const memory = worker.memory();
  const peak = sampler.stop();
  return {
    count,
    startedS: round(startedMs / 1000, 1),
    asleepS: round(asleepMs / 1000, 1),
    startsPerSecond: round(count / (startedMs / 1000), 1),
    asleepPerSecond: round(count / (asleepMs / 1000), 1),
    ...memoryFigures(stats, peak, memory.peakRssBytes, worker, cpuS),
    workerStartMs: round(worker.startMs, 0),
  };
}

async function withWorker<T>(ctx: BenchContext, variant: WorkerVariant, queue: string, database: string, fn: (w: BenchWorker) => Promise<T>): Promise<T> {
  const worker = await ctx.stack.startWorker(variant, queue, database);
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}

export async function runSleeping(ctx: BenchContext): Promise<BenchResult> {
  if (ctx.stack.data) return runSleepingOnData(ctx);
  const { stack, sizes, log } = ctx;
  const startedAt = new Date();
  const database = `sl_${tag()}`;
  const db = await stack.database(database);
  const results: Array<Record<string, unknown>> = [];
  const rows: Array<Record<string, string | number>> = [];
  const expiresOn = new Date(Date.now() + 2 * YEAR).toISOString().slice(0, 10);
  /** Start calls that failed on the way (e.g. a deadline under load) and were made again. */
  const retries = { retries: 0 };
  const exists = (workflowId: string) =>
    stack.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(() => true);
  try {
    for (const variant of ctx.variants) {
      const run = tag();
      log(`sleeping [${variant.name}]: inserting ${sizes.watches} CargoCard companies`);
      const companies = companyDocs(run, sizes.watches, { contract: () => 'approved', licenceExpiresOn: expiresOn });
      await insertCompanies(db.models, companies);

      log(`sleeping [${variant.name}]: ${sizes.watches} licence watches on a fresh worker`);
      const watches = await withWorker(ctx, variant, `sl-watch-${variant.name}-${run}`, database, (worker) =>
        measure(ctx, worker, 'licence watches', 'licenceWatch', companies.length, async (i) => {
          const company = companies[i] as unknown as CompanyDoc & { _id: string };
          await withRetries(
            () => startLicenceWatch({ temporal: stack.client, taskQueue: worker.taskQueue }, company),
            () => exists(licenceWatchWorkflowId(company._id)),
            retries,
          );
        }),
      );
      log(`sleeping [${variant.name}]: ${sizes.watches} trivial sleepers on a fresh worker (baseline)`);
      const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const sleepers = await withWorker(ctx, variant, `sl-base-${variant.name}-${run}`, database, (worker) =>
        measure(ctx, worker, 'sleepers', 'benchSleeper', sizes.watches, async (i) => {
          const workflowId = `sleeper-${run}-${i}`;
          await withRetries(() => stack.client.workflow.start('benchSleeper', { taskQueue: worker.taskQueue, workflowId, args: [{ until }] }), () => exists(workflowId), retries);
        }),
      );
      const r = {
        variant: variant.name,
        worker: describeVariant(variant),
        watches,
        sleepers,
        ratios: {
          asleepTime: ratio(watches.asleepS, sleepers.asleepS),
          rss: ratio(watches.rssMiB, sleepers.rssMiB),
          workflowHeap: ratio(watches.workflowHeapUsedMiB, sleepers.workflowHeapUsedMiB),
        },
      };
      results.push(r);
      for (const [name, f] of [['licence watches', watches], ['trivial sleepers (baseline)', sleepers]] as const) {
        rows.push({
          variant: variant.name,
          run: name,
          count: f.count,
          'started s': f.startedS,
          'asleep s': f.asleepS,
          'asleep/s': f.asleepPerSecond,
          'RSS MiB': f.rssMiB,
          'RSS peak MiB': f.rssPeakMiB,
          'main heap MiB': f.mainHeapUsedMiB,
          'wf heap MiB': f.workflowHeapUsedMiB,
          cached: `${f.cachedWorkflows}/${f.maxCachedWorkflows}`,
        });
      }
    }
  } finally {
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
  const def = results[0] as { watches: SleepFigures; ratios: Record<string, number> };
  const tunings = results.slice(1).map((r) => {
    const w = (r as { watches: SleepFigures }).watches;
    return `${r.variant} (${r.worker}): licence watches asleep in ${w.asleepS} s (default ${def.watches.asleepS} s), worker RSS ${def.watches.rssMiB} -> ${w.rssMiB} MiB, workflow heap ${def.watches.workflowHeapUsedMiB} -> ${w.workflowHeapUsedMiB} MiB, cached ${def.watches.cachedWorkflows} -> ${w.cachedWorkflows}`;
  });
  return {
    benchmark: 'sleeping',
    title: 'Sleeping processes',
    measured: [
      `${sizes.watches} licence watches started as the API starts them (startLicenceWatch), ${sizes.inFlight} start calls in flight; "asleep" = all of them past their first workflow task up to the timer (NextDueAt set, counted in visibility);`,
      'memory of the worker process once idle: RSS (/proc), V8 heap of the main thread and of the workflow thread(s) (diagnostic report), workflows in the cache vs maxCachedWorkflows;',
      `baseline: as many bench/workflows/baseline.ts benchSleeper workflows (set NextDueAt, one timer), on a fresh worker of the same configuration.`,
    ],
    sizes: { watches: sizes.watches, inFlight: sizes.inFlight },
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    ratios: Object.fromEntries(
      results.flatMap((r) => Object.entries((r as { ratios: Record<string, number> }).ratios).map(([k, v]) => [`watches/sleepers ${k} [${r.variant}]`, v])),
    ),
    results,
    tunings,
    notes: retries.retries ? [`${retries.retries} start calls failed on the way and were made again`] : [],
    tables: [table(`Sleeping processes: ${sizes.watches} licence watches vs ${sizes.watches} trivial sleepers, each on a fresh worker`, rows)],
  };
}

/** Figures of one worker bringing `count` started workflows asleep. */
interface WakeFigures extends WorkerMemoryFigures {
  count: number;
  /** Start calls, before any worker polled (the baseline only; the data set's were started when it was built). */
  startedS: number | null;
  workerStartMs: number;
  /** From the worker polling to the last of them asleep. */
  asleepS: number;
  asleepPerSecond: number;
  retriedActivityAttempts: number;
  failedWorkflowTasks: number;
}

/** A fresh worker on `queue`; the clock runs from its polling until `asleep()` reaches `total`. */
async function wake(ctx: BenchContext, variant: WorkerVariant, queue: string, label: string, total: number, asleep: () => Promise<number>, startedS: number | null): Promise<WakeFigures> {
  const { stack, log } = ctx;
  const database = stack.data!.database;
  log(`sleeping [${variant.name}]: ${label}: ${total} to bring asleep, one fresh worker`);
  return withWorker(ctx, variant, queue, database, async (worker) => {
    const cpu = cpuMeter({ worker: worker.pid, ...stack.serverPids });
    const sampler = rssSampler(worker.pid);
    const t0 = now();
    let n = 0;
    let lastLog = now();
    for (;;) {
      n = await asleep();
      if (n >= total) break;
      if (now() - lastLog > 15_000) {
        log(`  ${label} asleep: ${n}/${total} after ${Math.round((now() - t0) / 1000)} s`);
        lastLog = now();
      }
      if (now() - t0 > 3 * 3_600_000) throw new Error(`${label}: only ${n}/${total} asleep after three hours`);
      await sleep(2000);
    }
    const asleepMs = now() - t0;
    const cpuS = cpu.read();
    // The data set's worker also runs what was due (contract approvals, open applications, reminders): let it finish.
    await worker.idle(3000, 1_800_000);
    await sleep(2000);
    const stats = await worker.stats(true);
    const memory = worker.memory();
    const peak = sampler.stop();
    const logs = worker.logCounts();
    return {
      count: total,
      startedS,
      workerStartMs: round(worker.startMs, 0),
      asleepS: round(asleepMs / 1000, 1),
      asleepPerSecond: round(total / (asleepMs / 1000), 1),
      ...memoryFigures(stats, peak, memory.peakRssBytes, worker, cpuS),
      retriedActivityAttempts: logs.activityFailures,
      failedWorkflowTasks: logs.workflowTaskFailures,
    };
  });
}

/** The data set's card lives and licence watches asleep on one worker, against as many trivial sleepers. */
async function runSleepingOnData(ctx: BenchContext): Promise<BenchResult> {
  const { stack, sizes, log } = ctx;
  const data = stack.data!;
  const startedAt = new Date();
  const variant = ctx.variants[0]!;
  const notes: string[] = [];
  const queue = data.taskQueue;
  const total = await count(stack, sleepersQuery(queue));
  const notYetRun = await count(stack, notYetRunQuery(queue));
  const otherCases = (await count(stack, casesQuery(queue))) - total;
  if (notYetRun === 0) throw new Error(`the data set's ${total} card lives and licence watches are asleep already (run the sleeping benchmark first, on a fresh copy)`);
  if (notYetRun < total) notes.push(`${total - notYetRun} of the ${total} card lives and watches had run before this benchmark: measured on the other ${notYetRun}`);
  notes.push(
    `the same worker also ran the first tasks of the data set's ${otherCases} other running cases (contract approvals, open card applications), and whatever the card lives found due (reminders)`,
  );
  const cases = await wake(ctx, variant, queue, 'card lives and licence watches', notYetRun, async () => notYetRun - (await count(stack, notYetRunQuery(queue))), null);

  // Baseline: as many trivial sleepers, all started before a worker polls their queue (as the data set's were).
  const baseQueue = `sl-base-${tag()}`;
  const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const retries = { retries: 0 };
  log(`sleeping [${variant.name}]: starting ${notYetRun} trivial sleepers, no worker on their queue yet`);
  const p = progress(log, 'sleepers started', notYetRun);
  const t0 = now();
  await inParallel(notYetRun, sizes.inFlight, async (i) => {
    const workflowId = `sleeper-${baseQueue}-${i}`;
    await withRetries(
      () => stack.client.workflow.start('benchSleeper', { taskQueue: baseQueue, workflowId, args: [{ until }] }),
      () => stack.client.workflow.getHandle(workflowId).describe().then(() => true),
      retries,
    );
    p.tick();
  });
  p.done();
  const startedS = round((now() - t0) / 1000, 1);
  const sleeperQuery = `WorkflowType = 'benchSleeper' AND TaskQueue = '${baseQueue}' AND NextDueAt IS NOT NULL`;
  const sleepers = await wake(ctx, variant, baseQueue, 'trivial sleepers', notYetRun, () => count(stack, sleeperQuery), startedS);
  if (retries.retries) notes.push(`${retries.retries} sleeper start calls failed on the way and were made again`);

  const asleepRate = ratio(cases.asleepPerSecond, sleepers.asleepPerSecond);
  const rssGiB = round(Math.max(cases.rssPeakMiB, cases.vmHwmMiB) / 1024, 2);
  const rows = ([['card lives and licence watches (data set)', cases], ['trivial sleepers (baseline)', sleepers]] as const).map(([name, f]) => ({
    run: name,
    count: f.count,
    'started s': f.startedS ?? 'seeded',
    'worker start s': round(f.workerStartMs / 1000, 1),
    'asleep s': f.asleepS,
    'asleep/s': f.asleepPerSecond,
    'RSS MiB': f.rssMiB,
    'RSS peak MiB': f.rssPeakMiB,
    'wf heap MiB': f.workflowHeapUsedMiB,
    cached: `${f.cachedWorkflows}/${f.maxCachedWorkflows}`,
    cpu: Object.entries(f.cpuSeconds).map(([k, s]) => `${k} ${s}s`).join(', '),
  }));
  return {
    benchmark: 'sleeping',
    title: `Sleeping processes (${data.size} data set)`,
    measured: [
      `the ${data.size} data set's ${notYetRun} card lives (cardInUse) and licence watches, started when it was built and never run, brought asleep by one fresh worker: clock from the worker polling until each has run its first workflow task (a card life sets Phase, a watch NextDueAt; counted in visibility every 2 s);`,
      `baseline: as many bench/workflows/baseline.ts benchSleeper workflows (set NextDueAt, one timer), all started first with no worker on their queue (${sizes.inFlight} start calls in flight), then brought asleep by a fresh worker of the same configuration, clocked the same way;`,
      'worker memory: RSS sampled every 250 ms (peak), and once idle: RSS, V8 heap of the main and workflow threads, workflows in the cache vs maxCachedWorkflows.',
      'goals (issue 13): asleep rate >= 0.8 x the trivial sleepers\', worker RSS <= 1 GiB.',
    ],
    sizes: { watches: notYetRun, inFlight: sizes.inFlight },
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    ratios: { 'asleep/s data set / trivial sleepers': asleepRate, 'worker RSS peak GiB (goal <= 1)': rssGiB },
    results: [{ variant: variant.name, worker: describeVariant(variant), cases, sleepers, goals: { asleepRateRatio: asleepRate, asleepRateMet: asleepRate >= 0.8, workerRssPeakGiB: rssGiB, rssMet: rssGiB <= 1 } }],
    tunings: [],
    notes,
    tables: [table(`Sleeping processes: the ${data.size} data set's ${notYetRun} card lives and licence watches vs ${notYetRun} trivial sleepers, each brought asleep by one fresh worker`, rows)],
  };
}
