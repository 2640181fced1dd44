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
 */
import { BusinessCalendar } from '../domain/calendar';
import { DEFAULT_RULES } from '../domain/rules';
import { createCardApplicationService } from '../api/services/card-applications';
import type { Database } from '../db/connection';
import type { BenchContext, BenchResult } from './context';
import { cardUserDocs, companyDocs, insertAll, insertCompanies, tag } from './fixtures';
import { cpuMeter, inParallel, MiB, now, percentile, progress, ratio, round, table, withRetries } from './measure';
import { cardApplicationStateQuery, cardApplicationWorkflowId } from '../workflows/definitions';
import type { BenchStack, BenchWorker } from './stack';
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
): Promise<RunFigures & { mails: number; duplicates: number; approvalRetries: number; preparationRetries: number }> {
  const { stack, sizes } = ctx;
  const { service, ids, retries: prepRetries } = await prepareApplications(ctx, db, worker, count);
  const counter = { retries: 0 };
  stack.smtp.reset();
  const cpu = cpuMeter({ worker: worker.pid, ...stack.serverPids });
  const latencies: number[] = [];
  let last = 0;
  const p = progress(ctx.log, 'cards produced', count);
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
  const result = { ...figures(count, last - t0, latencies), cpuSeconds: cpu.read() };
  // The pickup holds the produced cards start go on after the last card: let them settle before the next measurement.
  await worker.idle(2000);
  const mail = stack.smtp.stats();
  // Retried approval Updates (failed on the way, e.g. a deadline under load) are counted, not hidden.
  return { ...result, mails: mail.count, duplicates: mail.duplicates, approvalRetries: counter.retries, preparationRetries: prepRetries };
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
      log(`throughput [${variant.name}]: ${sizes.cards} card applications, approval -> produced`);
      const cards = await cardRun(ctx, db, worker, sizes.cards);
      log(`throughput [${variant.name}]: baseline again, then with a local activity`);
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
        workerPeakRssMiB: round(memory.peakRssBytes / MiB, 1),
        retriedActivityAttempts: worker.logCounts().activityFailures,
      });
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
  const def = results[0]!;
  const tables = [table('Process throughput: card applications, approval -> produced card (urgent pickup), vs a bare workflow with one no-op activity', rows)];
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
    ],
    sizes: { cards: sizes.cards, bare: sizes.bare, inFlight: sizes.inFlight },
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    ratios: Object.fromEntries(
      results.flatMap((r) => [
        [`cards/bare per second [${r.variant}]`, r.ratio as number],
        [`bare/cards CPU per workflow [${r.variant}]`, r.cpuRatio as number],
      ]),
    ),
    results,
    tunings,
    notes: [],
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

/** "worker 12.3s, temporal 4.5s, ..." */
export const cpuText = (cpu?: Record<string, number>): string => (cpu ? Object.entries(cpu).map(([k, v]) => `${k} ${v}s`).join(', ') : '');
