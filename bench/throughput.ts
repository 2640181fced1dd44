/**
 * 1. Process throughput: card applications driven from approval to a
 * produced card, per second, against a bare workflow with one no-op activity
 * on the same server and worker.
 *
 * What is measured: applications are created through the API's own service
 * (api/services/card-applications.ts `apply`, which writes the record and
 * starts `cardApplication`) for urgent pickup, the delivery method produced at
 * once (domain/card-delivery.ts: `productionAt` is the approval moment A), so
 * no wall-clock cut-off is waited for and no clock is faked. The card user
 * approves beforehand; the clock starts when the back-office approval (the
 * moment A) is sent through the service's `approve` (an Update) and stops
 * when the card is produced as the workflow defines it: step 3 of
 * workflows/card-application.ts done, i.e. the card made by the production
 * adapter, the record updated, the PIN mail to the company contact and the
 * next-steps mail to the card user sent, the latter seen arriving at the SMTP
 * receiver (its outbox key `card:<id>:next-steps`). The baseline workflow
 * (bench/workflows/baseline.ts `benchBare`) is started and awaited to
 * completion by the client. Both keep `inFlight` items going at once.
 *
 * The honest floor (issue 13): a skeleton of the card's shape
 * (bench/workflows/card-shape.ts `benchCardShape`, every step a no-op), waiting
 * for its approval Update like the applications, driven the same way; the
 * benchmark fails when its history's commands differ from a real card's of the
 * same run (bench/history-shape.ts). CPU per process (approval until the card
 * waits in its pickup hold, the hold's first steps included) of the skeleton
 * divided by the card's says which share of a card's CPU is Temporal's floor
 * (goal >= 0.8; 1 would mean the project's code costs nothing above it).
 */
import { BusinessCalendar } from '../domain/calendar';
import { DEFAULT_RULES } from '../domain/rules';
import { createCardApplicationService } from '../api/services/card-applications';
import type { Database } from '../db/connection';
import type { BenchContext, BenchResult } from './context';
import { cardUserDocs, companyDocs, insertAll, insertCompanies, tag } from './fixtures';
import { cpuMeter, inParallel, MiB, now, percentile, progress, ratio, round, table, withRetries } from './measure';
import { cardApplicationStateQuery, cardApplicationWorkflowId } from '../workflows/definitions';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyShape, shapeDifferences, sumShapes, type HistoryShape } from './history-shape';
import { monotonicUs, summariseProfiles, type ThreadProfile } from './profile';
import type { BenchStack, BenchWorker } from './stack';
import { pickupHoldWorkflowId } from '../workflows/definitions';
import { benchShapeApproveUpdate } from './workflows/card-shape';
import type { WorkerVariant } from './worker-config';

export interface RunFigures {
  /** CPU seconds each process used during the run (worker, temporal, ferretdb, bench). */
  cpuSeconds?: Record<string, number>;
  items: number;
  wallS: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** CPU of every process of the stack per item: a figure the other load on the machine changes much less than time. */
export function cpuMsPerItem(f: RunFigures): number {
  return f.cpuSeconds ? round((Object.values(f.cpuSeconds).reduce((a, b) => a + b, 0) * 1000) / f.items, 1) : NaN;
}

function figures(items: number, wallMs: number, latencies: number[]): RunFigures {
  return {
    items,
    wallS: round(wallMs / 1000, 2),
    perSecond: round(items / (wallMs / 1000), 2),
    p50Ms: round(percentile(latencies, 50), 1),
    p99Ms: round(percentile(latencies, 99), 1),
  };
}

/** Starts `count` workflows of a baseline type and awaits each to completion, `inFlight` at a time. */
export async function bareRun(stack: BenchStack, taskQueue: string, type: string, count: number, inFlight: number, pids?: Record<string, number>): Promise<RunFigures> {
  const run = tag();
  const cpu = cpuMeter({ ...stack.serverPids, ...pids });
  const latencies: number[] = [];
  const t0 = now();
  await inParallel(count, inFlight, async (i) => {
    const s = now();
    const handle = await stack.client.workflow.start(type, { taskQueue, workflowId: `${type}-${run}-${i}`, args: [] });
    await handle.result();
    latencies.push(now() - s);
  });
  return { ...figures(count, now() - t0, latencies), cpuSeconds: cpu.read() };
}

/** Applications waiting for the back-office approval, through the API's service, ready to be approved. */
async function prepareApplications(ctx: BenchContext, db: Database, worker: BenchWorker, count: number) {
  const { stack } = ctx;
  const service = createCardApplicationService({
    models: db.models,
    temporal: stack.client,
    taskQueue: worker.taskQueue,
    calendar: new BusinessCalendar(DEFAULT_RULES),
  });
  const prefix = tag();
  const companies = companyDocs(prefix, Math.ceil(count / 10), { contract: () => 'approved' });
  await insertCompanies(db.models, companies);
  const users = cardUserDocs(prefix, companies, 10).slice(0, count);
  await insertAll(db.models.CardUser as never, users);
  const ids: string[] = new Array(count);
  ctx.log(`  preparing ${count} applications through the API service (apply, card-user approval)`);
  await inParallel(count, 20, async (i) => {
    const u = users[i]!;
    const { application } = await service.apply({ companyId: u.companyId, xsId: u._id, cardType: 'PortKey', deliveryMethod: 'urgent-pickup', destination: 'NL' });
    ids[i] = application.applicationId;
  });
  const counter = { retries: 0 };
  await inParallel(count, 20, async (i) => {
    await withRetries(
      () => service.approve(ids[i]!, { by: 'card-user', approvedBy: users[i]!.firstName + ' ' + users[i]!.lastName }),
      () => approved(stack, ids[i]!, 'cardUser'),
      counter,
    );
  });
  await Promise.all(ids.map((id) => stack.smtp.waitForKey(`card:${id}:received`)));
  await worker.idle(2000);
  return { service, ids, retries: counter.retries };
}

/** Whether the application's workflow has this party's approval (an Update that failed on the way may have been applied). */
async function approved(stack: BenchStack, applicationId: string, party: 'cardUser' | 'backoffice'): Promise<boolean> {
  const state = await stack.client.workflow.getHandle(cardApplicationWorkflowId(applicationId)).query(cardApplicationStateQuery);
  return Boolean(state.approvals[party]);
}

async function cardRun(
  ctx: BenchContext,
  db: Database,
  worker: BenchWorker,
  count: number,
): Promise<RunFigures & { ids: string[]; window: Window; mails: number; duplicates: number; approvalRetries: number; preparationRetries: number }> {
  const { stack, sizes } = ctx;
  const { service, ids, retries: prepRetries } = await prepareApplications(ctx, db, worker, count);
  const counter = { retries: 0 };
  stack.smtp.reset();
  const cpu = cpuMeter({ worker: worker.pid, ...stack.serverPids });
  const latencies: number[] = [];
  let last = 0;
  const p = progress(ctx.log, 'cards produced', count);
  const fromUs = monotonicUs();
  const t0 = now();
  await inParallel(count, sizes.inFlight, async (i) => {
    const id = ids[i]!;
    const s = now();
    await withRetries(() => service.approve(id, { by: 'back-office', approvedBy: 'bo-bench' }), () => approved(stack, id, 'backoffice'), counter);
    const at = await stack.smtp.waitForKey(`card:${id}:next-steps`);
    latencies.push(at - s);
    last = Math.max(last, at);
    p.tick();
  });
  p.done();
  // CPU until every card waits in its pickup hold (what the skeleton does too), the rate until the last card is produced.
  await worker.idle(IDLE_MS);
  const result = { ...figures(count, last - t0, latencies), cpuSeconds: cpu.read(), window: { fromUs, toUs: monotonicUs() } };
  const mail = stack.smtp.stats();
  // Retried approval Updates (failed on the way, e.g. a deadline under load) are counted, not hidden.
  return { ...result, ids, mails: mail.count, duplicates: mail.duplicates, approvalRetries: counter.retries, preparationRetries: prepRetries };
}

/** Quiet time that says the worker is done (nothing in flight): the same for the cards and their skeleton. */
const IDLE_MS = 1000;

/**
 * The skeletons of the card's shape, started beforehand and waiting for their approval like the applications; then
 * the approval Update to each and its result awaited, `inFlight` at a time. CPU until the worker is idle.
 */
async function skeletonRun(ctx: BenchContext, worker: BenchWorker, count: number): Promise<RunFigures & { ids: string[]; window: Window }> {
  const { stack, sizes } = ctx;
  const run = tag();
  const ids = Array.from({ length: count }, (_, i) => `benchCardShape-${run}-${i}`);
  await inParallel(count, 20, async (i) => {
    await stack.client.workflow.start('benchCardShape', { taskQueue: worker.taskQueue, workflowId: ids[i]!, args: [] });
  });
  await worker.idle(IDLE_MS);
  const cpu = cpuMeter({ worker: worker.pid, ...stack.serverPids });
  const latencies: number[] = [];
  let last = 0;
  const fromUs = monotonicUs();
  const t0 = now();
  await inParallel(count, sizes.inFlight, async (i) => {
    const s = now();
    const handle = stack.client.workflow.getHandle(ids[i]!);
    await handle.executeUpdate(benchShapeApproveUpdate);
    await handle.result();
    const at = now();
    latencies.push(at - s);
    last = Math.max(last, at);
  });
  await worker.idle(IDLE_MS);
  return { ...figures(count, last - t0, latencies), cpuSeconds: cpu.read(), ids, window: { fromUs, toUs: monotonicUs() } };
}

/** A measured stretch on the monotonic clock (µs), as V8's CPU profiles stamp their samples. */
interface Window {
  fromUs: number;
  toUs: number;
}

/**
 * The commands of a real card process of this run (its application from the back-office approval on, and its
 * pickup hold) against its skeleton's; throws when they differ: the skeleton no longer has the card's shape.
 */
async function checkShape(stack: BenchStack, applicationId: string, skeletonId: string): Promise<{ card: HistoryShape; skeleton: HistoryShape }> {
  const card = sumShapes(
    await historyShape(stack.client, cardApplicationWorkflowId(applicationId), { fromLastUpdate: true }),
    await historyShape(stack.client, pickupHoldWorkflowId(applicationId)),
  );
  const skeleton = sumShapes(
    await historyShape(stack.client, skeletonId, { fromLastUpdate: true }),
    await historyShape(stack.client, `${skeletonId}-hold`),
  );
  const differences = shapeDifferences(card, skeleton);
  if (differences.length) {
    throw new Error(
      `bench/workflows/card-shape.ts no longer has the shape of a card application (card vs skeleton): ${differences.join('; ')}. ` +
        `Card: ${JSON.stringify(card.commands)}; skeleton: ${JSON.stringify(skeleton.commands)}`,
    );
  }
  return { card, skeleton };
}

export async function runThroughput(ctx: BenchContext): Promise<BenchResult> {
  const { stack, sizes, log } = ctx;
  const startedAt = new Date();
  const results: Array<Record<string, unknown>> = [];
  const rows: Array<Record<string, string | number>> = [];
  for (const variant of ctx.variants) {
    const run = tag();
    const database = `tp_${run}`;
    log(`throughput [${variant.name}]: starting the worker`);
    const worker = await stack.startWorker(variant, `tp-${variant.name}-${run}`, database);
    const db = await stack.database(database);
    try {
      await bareRun(stack, worker.taskQueue, 'benchBare', Math.min(50, sizes.bare), 25); // warm-up
      log(`throughput [${variant.name}]: baseline, ${sizes.bare} bare workflows`);
      const bareBefore = await bareRun(stack, worker.taskQueue, 'benchBare', sizes.bare, sizes.inFlight, { worker: worker.pid });
      log(`throughput [${variant.name}]: ${sizes.cards} skeletons of the card's shape`);
      const skeletonBefore = await skeletonRun(ctx, worker, sizes.cards);
      log(`throughput [${variant.name}]: ${sizes.cards} card applications, approval -> produced`);
      const { ids: cardIds, window: _cardWindow, ...cards } = await cardRun(ctx, db, worker, sizes.cards);
      log(`throughput [${variant.name}]: skeletons again, their shape against a card's, the bare baseline again, then with a local activity`);
      const skeletonAfter = await skeletonRun(ctx, worker, sizes.cards);
      const shape = await checkShape(stack, cardIds[0]!, skeletonAfter.ids[0]!);
      const skeletonCpu = round((cpuMsPerItem(skeletonBefore) + cpuMsPerItem(skeletonAfter)) / 2, 1);
      const skeletonPerSecond = round((skeletonBefore.perSecond + skeletonAfter.perSecond) / 2, 2);
      const bareAfter = await bareRun(stack, worker.taskQueue, 'benchBare', sizes.bare, sizes.inFlight, { worker: worker.pid });
      const bareLocal = await bareRun(stack, worker.taskQueue, 'benchBareLocal', sizes.bare, sizes.inFlight, { worker: worker.pid });
      const baselinePerSecond = round((bareBefore.perSecond + bareAfter.perSecond) / 2, 2);
      const memory = worker.memory();
      results.push({
        variant: variant.name,
        worker: describeVariant(variant),
        resolved: worker.info.resolved,
        workerStartMs: round(worker.startMs, 0),
        cards,
        bareBefore,
        bareAfter,
        bareLocal,
        baselinePerSecond,
        ratio: ratio(cards.perSecond, baselinePerSecond),
        cpuMsPerItem: { cards: cpuMsPerItem(cards), bare: round((cpuMsPerItem(bareBefore) + cpuMsPerItem(bareAfter)) / 2, 1), bareLocal: cpuMsPerItem(bareLocal) },
        cpuRatio: ratio((cpuMsPerItem(bareBefore) + cpuMsPerItem(bareAfter)) / 2, cpuMsPerItem(cards)),
        skeleton: { before: strip(skeletonBefore), after: strip(skeletonAfter), cpuMsPerItem: skeletonCpu, perSecond: skeletonPerSecond },
        // Which share of a card process's CPU is Temporal's floor (goal >= 0.8).
        skeletonCpuRatio: ratio(skeletonCpu, cpuMsPerItem(cards)),
        shape,
        workerPeakRssMiB: round(memory.peakRssBytes / MiB, 1),
        retriedActivityAttempts: worker.logCounts().activityFailures,
      });
      const row = (name: string, f: RunFigures) => ({
        variant: variant.name, run: name, items: f.items, 'wall s': f.wallS, 'per s': f.perSecond, 'p50 ms': f.p50Ms, 'p99 ms': f.p99Ms,
        'vs baseline': ratio(f.perSecond, baselinePerSecond), 'CPU ms/item': cpuMsPerItem(f), cpu: cpuText(f.cpuSeconds),
      });
      rows.push(row('card skeleton (before)', skeletonBefore), row('card skeleton (after)', skeletonAfter));
      rows.push(
        { variant: variant.name, run: 'card applications', items: cards.items, 'wall s': cards.wallS, 'per s': cards.perSecond, 'p50 ms': cards.p50Ms, 'p99 ms': cards.p99Ms, 'vs baseline': ratio(cards.perSecond, baselinePerSecond), 'CPU ms/item': cpuMsPerItem(cards), cpu: cpuText(cards.cpuSeconds) },
        { variant: variant.name, run: 'bare (before)', items: bareBefore.items, 'wall s': bareBefore.wallS, 'per s': bareBefore.perSecond, 'p50 ms': bareBefore.p50Ms, 'p99 ms': bareBefore.p99Ms, 'vs baseline': ratio(bareBefore.perSecond, baselinePerSecond), 'CPU ms/item': cpuMsPerItem(bareBefore), cpu: cpuText(bareBefore.cpuSeconds) },
        { variant: variant.name, run: 'bare (after)', items: bareAfter.items, 'wall s': bareAfter.wallS, 'per s': bareAfter.perSecond, 'p50 ms': bareAfter.p50Ms, 'p99 ms': bareAfter.p99Ms, 'vs baseline': ratio(bareAfter.perSecond, baselinePerSecond), 'CPU ms/item': cpuMsPerItem(bareAfter), cpu: cpuText(bareAfter.cpuSeconds) },
        { variant: variant.name, run: 'bare, local activity', items: bareLocal.items, 'wall s': bareLocal.wallS, 'per s': bareLocal.perSecond, 'p50 ms': bareLocal.p50Ms, 'p99 ms': bareLocal.p99Ms, 'vs baseline': ratio(bareLocal.perSecond, baselinePerSecond), 'CPU ms/item': cpuMsPerItem(bareLocal), cpu: cpuText(bareLocal.cpuSeconds) },
      );
    } finally {
      await worker.stop();
      await db.connection.dropDatabase().catch(() => undefined);
      await db.close();
    }
  }
  const notes: string[] = [];
  if (ctx.profile) notes.push(`CPU profile of a card run: ${await profileRun(ctx, ctx.variants[0]!, ctx.profile.outDir)}`);
  const def = results[0]!;
  const tables = [
    table('Process throughput: card applications, approval -> produced card (urgent pickup), vs their same-shape skeleton and a bare workflow with one no-op activity', rows),
    table(
      'Card process CPU against its same-shape skeleton (skeleton CPU / card CPU per process: the share that is Temporal\'s floor; goal >= 0.8)',
      results.map((r) => {
        const shape = r.shape as { card: HistoryShape; skeleton: HistoryShape };
        return {
          variant: r.variant as string,
          'card CPU ms': (r.cpuMsPerItem as { cards: number }).cards,
          'skeleton CPU ms': (r.skeleton as { cpuMsPerItem: number }).cpuMsPerItem,
          'skeleton / card': r.skeletonCpuRatio as number,
          'commands per card process (same in the skeleton)': Object.entries(shape.card.commands).map(([k, v]) => `${v} ${k}`).join(', '),
          'workflow tasks card / skeleton': `${shape.card.workflowTasks} / ${shape.skeleton.workflowTasks}`,
        };
      }),
    ),
  ];
  const tunings = results.slice(1).map((r) => {
    const c = (r.cards as RunFigures).perSecond / (def.cards as RunFigures).perSecond;
    return `${r.variant} (${r.worker}): card applications ${round(c, 2)}x the default's rate, ratio vs baseline ${def.ratio} -> ${r.ratio}; worker start ${def.workerStartMs} -> ${r.workerStartMs} ms`;
  });
  return {
    benchmark: 'throughput',
    title: 'Process throughput',
    measured: [
      'card applications (urgent pickup, PortKey) created and approved by the card user beforehand through api/services/card-applications.ts;',
      'clock: from the back-office approval Update (the moment A) to the next-steps mail (end of step 3 "produced": card made, record written, PIN mail, next-steps mail) arriving at the SMTP receiver;',
      `baseline: bench/workflows/baseline.ts benchBare (one no-op activity), started and awaited by the client, measured before and after the cards (mean used); ${sizes.inFlight} items in flight for both;`,
      'CPU ms/item: CPU time of the worker, the Temporal server, FerretDB and the bench process during the run, per workflow; the CPU ratio (bare/cards) says the same as the rate ratio with less noise from the other load on the machine.',
      `same-shape skeleton: bench/workflows/card-shape.ts benchCardShape, started beforehand and waiting for its approval Update like the applications, then the Update and its result awaited, ${sizes.inFlight} in flight, measured before and after the cards (mean used); its commands are checked against a card application's history of the same run (the run fails when they differ);`,
      `card process CPU for the skeleton ratio: from the first approval until the worker is idle (every card produced and waiting in its pickup hold, the hold's first steps done), the same window as the skeleton's; skeleton / card >= 0.8 is the goal (the project's own code then costs at most a quarter more than Temporal's floor).`,
    ],
    sizes: { cards: sizes.cards, bare: sizes.bare, inFlight: sizes.inFlight },
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    ratios: Object.fromEntries(
      results.flatMap((r) => [
        [`cards/bare per second [${r.variant}]`, r.ratio as number],
        [`bare/cards CPU per workflow [${r.variant}]`, r.cpuRatio as number],
        [`skeleton/card CPU per card process [${r.variant}]`, r.skeletonCpuRatio as number],
      ]),
    ),
    results,
    tunings,
    notes,
    tables,
  };
}

export function describeVariant(v: WorkerVariant): string {
  const parts = [v.prebuiltBundle ? 'prebuilt bundle' : 'bundled at start'];
  if (v.smtpConnections) parts.push(`${v.smtpConnections} SMTP connection(s)`);
  for (const [k, value] of Object.entries(v.options)) parts.push(`${k}=${typeof value === 'object' ? JSON.stringify(value) : value}`);
  if (Object.keys(v.options).length === 0) parts.push('SDK defaults');
  return parts.join(', ');
}

/**
 * `--profile`: cards and then skeletons on a fresh worker under `node --cpu-prof`, where the CPU of each went
 * (bench/profile.ts), per card process and per skeleton, written to throughput-profile.{json,md}. Returns the
 * summary's path. Profiling slows the worker: these figures say where, the unprofiled run says how much.
 */
async function profileRun(ctx: BenchContext, variant: WorkerVariant, outDir: string): Promise<string> {
  const { stack, sizes, log } = ctx;
  const run = tag();
  const dir = join(stack.dir, `cpu-profile-${run}`);
  mkdirSync(dir, { recursive: true });
  const database = `tpp_${run}`;
  log(`throughput --profile [${variant.name}]: a worker under node --cpu-prof, ${sizes.cards} cards then ${sizes.cards} skeletons`);
  const worker = await stack.startWorker(variant, `tpp-${variant.name}-${run}`, database, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const db = await stack.database(database);
  let cards: Awaited<ReturnType<typeof cardRun>>;
  let skeleton: Awaited<ReturnType<typeof skeletonRun>>;
  try {
    await bareRun(stack, worker.taskQueue, 'benchBare', Math.min(50, sizes.bare), 25); // warm-up
    cards = await cardRun(ctx, db, worker, sizes.cards);
    skeleton = await skeletonRun(ctx, worker, sizes.cards);
  } finally {
    await worker.stop(); // the profiles are written as the process exits
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
  const part = (name: string, f: RunFigures & { window: Window }) => {
    const threads = summariseProfiles(dir, f.window.fromUs, f.window.toUs);
    const perItem = (ms: number) => round(ms / f.items, 1);
    const js: Record<string, number> = {};
    for (const t of threads) for (const [k, v] of Object.entries(t.byCategory)) js[k] = (js[k] ?? 0) + v;
    const jsMs = threads.reduce((s, t) => s + t.busyMs, 0);
    const cpu = f.cpuSeconds ?? {};
    const workerMs = (cpu.worker ?? NaN) * 1000;
    // The sampler counts a thread's non-idle wall time (on a loaded machine, time it waited for a core too), so
    // the samples give shares; the worker's CPU from /proc is split by them (its Rust core and libuv's thread pool
    // included, in the share of the JavaScript frames that called into them).
    const perProcess: Record<string, number> = {
      ...Object.fromEntries(Object.entries(js).sort((a, b) => b[1] - a[1]).map(([k, v]) => [`worker: ${k}`, perItem((workerMs * v) / jsMs)])),
      'Temporal server': perItem((cpu.temporal ?? NaN) * 1000),
      FerretDB: perItem((cpu.ferretdb ?? NaN) * 1000),
      'bench process (client, SMTP receiver)': perItem((cpu.bench ?? NaN) * 1000),
    };
    const jsShares = Object.fromEntries(Object.entries(js).map(([k, v]) => [k, round(v / jsMs, 3)]));
    return {
      name,
      items: f.items,
      cpuMsPerItem: cpuMsPerItem(f),
      cpuSeconds: cpu,
      perProcessMs: perProcess,
      workerSampleShares: jsShares,
      threads: threads.map((t: ThreadProfile & { windowInside: boolean }) => ({ ...t, file: t.file.slice(dir.length + 1) })),
    };
  };
  const summary = { command: 'throughput --profile', variant: variant.name, sizes: { cards: sizes.cards, inFlight: sizes.inFlight }, cards: part('card process', cards), skeleton: part('same-shape skeleton', skeleton) };
  const keys = [...new Set([...Object.keys(summary.cards.perProcessMs), ...Object.keys(summary.skeleton.perProcessMs)])];
  const rows = keys.map((k) => ({
    where: k,
    'card ms': summary.cards.perProcessMs[k] ?? 0,
    'skeleton ms': summary.skeleton.perProcessMs[k] ?? 0,
    'card - skeleton': round((summary.cards.perProcessMs[k] ?? 0) - (summary.skeleton.perProcessMs[k] ?? 0), 1),
  }));
  const top = summary.cards.threads.map((t) => `- ${t.file} (${t.busyMs} ms busy in the card window${t.windowInside ? '' : ', whole profile: clocks did not match'}): ` + t.topSelf.slice(0, 8).map((x) => `${x.frame} ${x.ms} ms`).join('; '));
  const md = [
    `# Where the CPU of a card process goes (\`npm run bench -- throughput --profile\`, ${sizes.cards} cards, ${sizes.inFlight} in flight, variant ${variant.name})`,
    '',
    'CPU milliseconds per card process (approval until it waits in its pickup hold) and per same-shape skeleton, on a worker under `node --cpu-prof` (slower than unprofiled: the shares matter more than the totals). The worker\'s CPU (from /proc) is split by the shares of its profile samples (main thread and workflow threads), each sample given to the first library or project frame on its stack (from the leaf up); time in the SDK\'s Rust core and libuv\'s thread pool counts for the frames that called into them. The servers\' CPU is from /proc.',
    '',
    '```',
    table('CPU per process, ms', rows).trimEnd(),
    '```',
    '',
    'Functions with the most self time in the card window, per thread of the worker:',
    '',
    ...top,
    '',
  ].join('\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'throughput-profile.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(outDir, 'throughput-profile.md'), md);
  console.log('\n' + md);
  return join(outDir, 'throughput-profile.md');
}

const strip = ({ ids: _ids, window: _window, ...f }: RunFigures & { ids: string[]; window: Window }): RunFigures => f;

/** "worker 12.3s, temporal 4.5s, ..." */
export const cpuText = (cpu?: Record<string, number>): string => (cpu ? Object.entries(cpu).map(([k, v]) => `${k} ${v}s`).join(', ') : '');
