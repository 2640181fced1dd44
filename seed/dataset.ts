/**
 * A seeded data set kept on disk, so the benchmarks and drills start on the
 * issuer's real size in seconds instead of seeding it again each run
 * (`npm run bench -- --data realistic`, `npm run drill -- --data realistic`).
 *
 * The data set of a size is built once per machine into
 * $XS_DATASETS_DIR/<size>-v<SEED_VERSION>/ (default ~/.cache/xs-backoffice/datasets/):
 * the project's own `seed()` into a Temporal dev server on a SQLite file
 * (temporal.db) and FerretDB (ferretdb/), both started here on free loopback
 * ports. dataset.json, written last, marks it complete; a build that was
 * interrupted resumes where it stopped (the seed is resumable). Each user
 * gets a copy (`copyDataset`), so runs never change the cached one.
 *
 * The running cases (contract approvals, licence watches, card lives, open
 * applications) are started but have not run a workflow task: no worker runs
 * while building. The first worker of a run takes them from there, with the
 * code of that run (their first task is where they compute their timers).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_PAYLOAD_KEYS_ENTRY, parsePayloadKeys } from '../config/payload-keys';
import { cacheDir } from '../stack/binaries';
import { freePort } from '../stack/processes';
import { startFerretDb, startTemporalServer } from '../stack/services';
import { SEED_VERSION, SIZES } from './data';
import { stderrProgress, type Progress } from './progress';
import { seedStack } from './run';

export type DatasetSize = keyof typeof SIZES;

/**
 * Visibility filters for the data set's cases that have not run their first workflow task:
 * a card life is started without a `Phase` and publishes one in it; a licence watch is started
 * with `Phase = watching` and publishes its `NextDueAt` in it.
 */
export const CARD_LIFE_NOT_YET_RUN = `WorkflowType = 'cardInUse' AND Phase IS NULL`;
export const LICENCE_WATCH_NOT_YET_RUN = `WorkflowType = 'licenceWatch' AND Phase = 'watching' AND NextDueAt IS NULL`;

/** What a copy of the data set needs to be served and read (dataset.json). */
export interface Dataset {
  size: DatasetSize;
  dir: string;
  /** The database (on FerretDB) the records are in. */
  database: string;
  namespace: string;
  /** The task queue the running cases wait on. */
  taskQueue: string;
  /** PAYLOAD_KEYS the workflows' payloads were encrypted with (the local development key). */
  payloadKeys: string;
  asOf: string;
  counts: Record<string, number>;
  buildSeconds: number;
}

const DATABASE = 'xs';
const TASK_QUEUE = 'xs-backoffice';
const NAMESPACE = 'default';

export function datasetDir(size: DatasetSize, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XS_DATASETS_DIR || join(cacheDir(env), 'datasets'), `${size}-v${SEED_VERSION}`);
}

/** The data set of this size, built now if this machine has none (about 50 minutes for `realistic` on 2 quiet cores). */
export async function ensureDataset(size: DatasetSize, log: (line: string) => void, progress: Progress = stderrProgress()): Promise<Dataset> {
  if (!(size in SIZES)) throw new Error(`no data set "${size}" (one of ${Object.keys(SIZES).join(', ')})`);
  const dir = datasetDir(size);
  const marker = join(dir, 'dataset.json');
  if (existsSync(marker)) return { ...(JSON.parse(readFileSync(marker, 'utf8')) as Dataset), dir };
  mkdirSync(join(dir, 'ferretdb'), { recursive: true });
  log(`building the ${size} data set in ${dir} (once per machine; an interrupted build resumes)`);
  const t0 = Date.now();
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  const temporal = await startTemporalServer({ port: temporalPort, uiPort: 0, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') });
  try {
    const ferret = await startFerretDb({ port: mongoPort, dataDir: join(dir, 'ferretdb'), logFile: join(dir, 'ferretdb.log') });
    try {
      const { asOf, counts } = await seedStack({
        size,
        mongodbUri: `mongodb://127.0.0.1:${mongoPort}/${DATABASE}`,
        temporal: { address: `127.0.0.1:${temporalPort}`, namespace: NAMESPACE, taskQueue: TASK_QUEUE },
        payloadKeys: parsePayloadKeys(LOCAL_PAYLOAD_KEYS_ENTRY, []),
        progress,
      });
      const dataset: Dataset = {
        size,
        dir,
        database: DATABASE,
        namespace: NAMESPACE,
        taskQueue: TASK_QUEUE,
        payloadKeys: LOCAL_PAYLOAD_KEYS_ENTRY,
        asOf: asOf.toISOString(),
        counts,
        buildSeconds: Math.round((Date.now() - t0) / 1000),
      };
      // Servers stop first, so the files are complete when the marker says so.
      await ferret.stop();
      await temporal.stop();
      writeFileSync(marker, `${JSON.stringify(dataset, null, 2)}\n`);
      log(`the ${size} data set is built (${dataset.buildSeconds} s)`);
      return dataset;
    } finally {
      await ferret.stop().catch(() => undefined);
    }
  } finally {
    await temporal.stop().catch(() => undefined);
  }
}

/** Copies the data set's files into `toDir`: FerretDB's data directory and the Temporal dev server's SQLite file there. */
export function copyDataset(dataset: Dataset, toDir: string): { ferretDataDir: string; temporalDbFile: string } {
  const ferretDataDir = join(toDir, 'ferretdb');
  mkdirSync(ferretDataDir, { recursive: true });
  for (const f of readdirSync(join(dataset.dir, 'ferretdb'))) cpSync(join(dataset.dir, 'ferretdb', f), join(ferretDataDir, f));
  const temporalDbFile = join(toDir, 'temporal.db');
  for (const f of readdirSync(dataset.dir).filter((f) => f.startsWith('temporal.db'))) cpSync(join(dataset.dir, f), join(toDir, f));
  return { ferretDataDir, temporalDbFile };
}
