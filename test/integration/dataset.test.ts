/**
 * seed/dataset.ts: the data set of a size is built once (seeded into servers
 * of its own), reused as it is afterwards, and copied per run; a copy serves
 * the records and the running cases, and leaves the cached one unchanged.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { connectDatabase } from '../../db/connection';
import { copyDataset, datasetDir, ensureDataset } from '../../seed/dataset';
import { SIZES } from '../../seed/data';
import { freePort } from '../../stack/processes';
import { startFerretDb, startTemporalServer } from '../../stack/services';
import { cardInUseWorkflowId } from '../../workflows/definitions';
import * as data from '../../seed/data';
import type { Progress } from '../../seed/progress';

const root = mkdtempSync(join(tmpdir(), 'xs-datasets-'));
const quiet: Progress = { step: () => ({ update: () => undefined, done: () => undefined }) };
const env = { ...process.env, XS_DATASETS_DIR: root };
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('builds the tiny data set once, reuses it, and a copy serves its records and running cases', async () => {
  const saved = process.env.XS_DATASETS_DIR;
  process.env.XS_DATASETS_DIR = root;
  try {
    const lines: string[] = [];
    const built = await ensureDataset('tiny', (l) => lines.push(l), quiet);
    expect(built.dir).toBe(datasetDir('tiny', env));
    expect(built.counts.Company).toBe(SIZES.tiny.companies);
    expect(built.counts.Card).toBe(SIZES.tiny.cards);
    expect(lines.some((l) => l.startsWith('building'))).toBe(true);

    const marker = join(built.dir, 'dataset.json');
    const builtAt = statSync(marker).mtimeMs;
    const cachedTemporal = statSync(join(built.dir, 'temporal.db'));
    const again: string[] = [];
    expect(await ensureDataset('tiny', (l) => again.push(l), quiet)).toEqual(built);
    expect(again).toEqual([]);
    expect(statSync(marker).mtimeMs).toBe(builtAt);

    const runDir = mkdtempSync(join(root, 'run-'));
    const copy = copyDataset(built, runDir);
    const [mongoPort, temporalPort] = [await freePort(), await freePort()];
    const ferret = await startFerretDb({ port: mongoPort, dataDir: copy.ferretDataDir, logFile: join(runDir, 'ferretdb.log') });
    const temporal = await startTemporalServer({ port: temporalPort, uiPort: 0, dbFile: copy.temporalDbFile, logFile: join(runDir, 'temporal.log') });
    try {
      const db = await connectDatabase(`mongodb://127.0.0.1:${mongoPort}/${built.database}`);
      try {
        expect(await db.models.Company.countDocuments()).toBe(SIZES.tiny.companies);
      } finally {
        await db.close();
      }
      const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
      try {
        const { workflowExecutionInfo } = await connection.workflowService.describeWorkflowExecution({
          namespace: built.namespace,
          execution: { workflowId: cardInUseWorkflowId(data.cardNumber(0)) },
        });
        expect(workflowExecutionInfo?.taskQueue).toBe(built.taskQueue);
        expect(workflowExecutionInfo?.closeTime).toBeFalsy(); // still running, waiting for a worker
      } finally {
        await connection.close();
      }
    } finally {
      await Promise.all([ferret.stop(), temporal.stop()]);
    }
    const after = statSync(join(built.dir, 'temporal.db'));
    expect([after.size, after.mtimeMs]).toEqual([cachedTemporal.size, cachedTemporal.mtimeMs]);
  } finally {
    if (saved === undefined) delete process.env.XS_DATASETS_DIR;
    else process.env.XS_DATASETS_DIR = saved;
  }
});
