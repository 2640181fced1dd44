/**
 * What the benchmarks need from a seeded data set (`--data`, seed/dataset.ts):
 * its sleeping cases (card lives and licence watches, started in the data set
 * but never run), when they are all asleep, and random existing records.
 *
 * "Asleep" is read from visibility, from what each workflow's first task
 * writes: a card life sets its `Phase` (it is started without one), a licence
 * watch its `NextDueAt` (it is started with `Phase = watching` and no due
 * time; one with nothing to watch closes). A case that has not run its first
 * task yet matches `AWAKE`.
 */
import type { Model } from 'mongoose';
import { CARD_LIFE_NOT_YET_RUN, LICENCE_WATCH_NOT_YET_RUN } from '../seed/dataset';
import { seededRandom, type Random } from '../seed/random';
import { sleep } from './measure';
import type { BenchStack } from './stack';

export const SLEEPER_TYPES = ['cardInUse', 'licenceWatch'] as const;

const running = (taskQueue: string) => `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;

/** The data set's card lives and licence watches (running). */
export const sleepersQuery = (taskQueue: string): string => `${running(taskQueue)} AND WorkflowType IN (${SLEEPER_TYPES.map((t) => `'${t}'`).join(', ')})`;

/** Those of them that have not run their first workflow task yet. */
export const notYetRunQuery = (taskQueue: string): string => `${running(taskQueue)} AND ((${CARD_LIFE_NOT_YET_RUN}) OR (${LICENCE_WATCH_NOT_YET_RUN}))`;

/** Every running case of the data set, whatever its type (contract approvals and open applications too). */
export const casesQuery = (taskQueue: string): string => running(taskQueue);

export async function count(stack: BenchStack, query: string): Promise<number> {
  return (await stack.client.workflow.count(query)).count;
}

/**
 * Polls `query`'s count until `done(count)`, every 2 s (a count over every
 * workflow costs the server too), logging every 15 s. Returns the last count.
 */
export async function pollCount(
  stack: BenchStack,
  query: string,
  done: (n: number) => boolean,
  o: { log(line: string): void; label: string; timeoutMs?: number; t0?: number },
): Promise<number> {
  const t0 = o.t0 ?? Date.now();
  let lastLog = Date.now();
  for (;;) {
    const n = await count(stack, query);
    if (done(n)) return n;
    if (Date.now() - lastLog > 15_000) {
      o.log(`  ${o.label}: ${n} after ${Math.round((Date.now() - t0) / 1000)} s`);
      lastLog = Date.now();
    }
    if (Date.now() - t0 > (o.timeoutMs ?? 2 * 3_600_000)) throw new Error(`${o.label}: still ${n} after ${Math.round((Date.now() - t0) / 60_000)} minutes`);
    await sleep(2000);
  }
}

/**
 * Brings every case of the data set past its first task with the worker given
 * (already polling its task queue), unmeasured: what the api and digest
 * benchmarks need when the sleeping one has not done it in this run.
 */
export async function untilDatasetAsleep(stack: BenchStack, log: (line: string) => void): Promise<void> {
  const data = stack.data!;
  const notYetRun = await count(stack, notYetRunQuery(data.taskQueue));
  if (notYetRun === 0) return;
  log(`  the data set's ${notYetRun} card lives and licence watches have not run yet: the worker brings them asleep first (not measured)`);
  await pollCount(stack, notYetRunQuery(data.taskQueue), (n) => n === 0, { log, label: 'card lives and watches not yet asleep' });
}

/** A seeded sample of the IDs of a collection matching `filter` (the whole list is read once). */
export async function sampleIds(model: Model<never>, filter: Record<string, unknown>, want: number, seed: string): Promise<string[]> {
  const ids = ((await (model as unknown as Model<unknown>).find(filter as never, { _id: 1 }).lean()) as Array<{ _id: unknown }>).map((d) => String(d._id));
  if (ids.length === 0) throw new Error(`the data set has no ${model.modelName} matching ${JSON.stringify(filter)}`);
  const r: Random = seededRandom(seed);
  return Array.from({ length: Math.min(want, ids.length) }, () => ids[r.int(ids.length)]!);
}

/** Cycles through a list, for one request after another. */
export function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}
