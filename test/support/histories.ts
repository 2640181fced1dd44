/**
 * The replay corpus, append-only. Each folder of test/replay/histories is one
 * build: the histories that build's code recorded, and a build.json saying
 * which code that was. The replay test replays every folder, so a change to a
 * workflow must still replay what older builds recorded.
 *
 * A workflow test calls `recordHistory(handle, name)` at the end of a
 * scenario; with RECORD_HISTORIES=1 (`npm run record-histories`) it writes
 * <build>/<name>.json for the build of the working tree (config/build-id.ts),
 * and never overwrites: a history already recorded by this build is kept.
 * Without RECORD_HISTORIES it does nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { derivedBuildId, projectRoot, sourceBuild, type SourceBuild } from '../../config/build-id';

export const HISTORIES_DIR = join(__dirname, '..', 'replay', 'histories');

export interface RecordedHistory {
  /** The build folder, e.g. 2026-11-28-9cad725. */
  build: string;
  file: string;
  history: History;
  workflowType: string;
}

/** Every committed history, by build folder then file name. */
export function recordedHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((build) =>
      readdirSync(join(dir, build))
        .filter((f) => f.endsWith('.json') && f !== 'build.json')
        .sort()
        .map((file) => {
          const history = historyFromJSON(JSON.parse(readFileSync(join(dir, build, file), 'utf8')));
          const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
          return { build, file, history, workflowType };
        }),
    );
}

/** The folder this working tree records into: its commit's day and commit, and a hash of uncommitted workflow changes. */
export function buildFolder(build: SourceBuild): string {
  if (!build.commit) throw new Error('recording histories needs a git checkout (the build folder names the commit)');
  return [build.commitDay, build.commit, build.wip && `wip${build.wip}`].filter(Boolean).join('-');
}

let current: { folder: string; build: SourceBuild } | undefined;

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  if (!current) {
    const build = sourceBuild(projectRoot());
    current = { folder: buildFolder(build), build };
  }
  const dir = join(HISTORIES_DIR, current.folder);
  const file = join(dir, `${name}.json`);
  if (existsSync(file)) {
    console.warn(`record-histories: ${current.folder}/${name}.json exists; kept (histories are never overwritten)`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, 'build.json');
  if (!existsSync(manifest)) {
    const { version, commitFull, wip } = current.build;
    const recordedFrom = wip ? `commit ${commitFull} with uncommitted workflow changes (diff hash ${wip})` : `commit ${commitFull}`;
    writeFileSync(manifest, JSON.stringify({ build: current.folder, buildId: derivedBuildId(current.build), version, commit: commitFull, recordedFrom, recordedAt: new Date().toISOString() }, null, 1) + '\n');
  }
  const history = await handle.fetchHistory();
  // The proto3 JSON form (as `temporal workflow show --output json` writes it).
  writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
}
