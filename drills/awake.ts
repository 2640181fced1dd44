/**
 * A woken copy of a seeded data set, built once per machine next to it
 * (<dataset dir>-awake/), for `npm run drill -- --data <size> --awake`.
 *
 * A seeded data set's running cases have never run a workflow task (seed/dataset.ts),
 * so every drill on it first works through tens of thousands of first tasks: its
 * own cases queue behind them. In production those cases sleep on their timers and
 * a worker that starts has no such backlog. The woken copy is that state: a stack
 * on the data set with a worker and no workload, until DatasetCheck finds every
 * case woken and every email its state calls for sent, checked as in a drill
 * (nothing failed, nothing mailed twice or without reason), then stopped cleanly
 * and its files kept. Its histories are encrypted with the data set's own key.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../seed/dataset';
import { DatasetCheck } from './dataset-check';
import { DrillStack, say } from './stack';

export interface AwakeDataset extends Dataset {
  /** How the copy was woken: when, in how long, and what the check counted. */
  awake: { at: string; seconds: number; figures: Record<string, unknown> };
}

export async function ensureAwakeDataset(dataset: Dataset, settleMinutes: number): Promise<AwakeDataset> {
  const dir = `${dataset.dir}-awake`;
  const marker = join(dir, 'dataset.json');
  if (existsSync(marker)) return { ...(JSON.parse(readFileSync(marker, 'utf8')) as AwakeDataset), dir };
  say(`waking the ${dataset.size} data set once into ${dir}: a worker runs every case's first task (up to ${settleMinutes} minutes)`);
  const stack = new DrillStack({ name: `wake-${dataset.size}`, dataset, datasetKeyOnly: true, keep: true });
  const t0 = Date.now();
  let stopped = false;
  try {
    await stack.start();
    const check = new DatasetCheck(stack);
    await check.settle(settleMinutes * 60_000);
    const { figures, problems } = await check.verify();
    if (problems.length) throw new Error(`waking the ${dataset.size} data set failed (kept in ${stack.dir}):\n  ${problems.join('\n  ')}`);
    const seconds = Math.round((Date.now() - t0) / 1000);
    // The worker drains and the servers stop first, so the files are complete when the marker says so.
    await stack.stop(true);
    stopped = true;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'ferretdb'), { recursive: true });
    for (const f of readdirSync(join(stack.dir, 'ferretdb'))) cpSync(join(stack.dir, 'ferretdb', f), join(dir, 'ferretdb', f));
    for (const f of readdirSync(stack.dir).filter((f) => f.startsWith('temporal.db'))) cpSync(join(stack.dir, f), join(dir, f));
    const awake: AwakeDataset = { ...dataset, dir, awake: { at: new Date().toISOString(), seconds, figures } };
    writeFileSync(marker, `${JSON.stringify(awake, null, 2)}\n`);
    rmSync(stack.dir, { recursive: true, force: true });
    say(`the ${dataset.size} data set is awake (${seconds} s): ${JSON.stringify(figures)}`);
    return awake;
  } finally {
    if (!stopped) await stack.stop(true);
  }
}
