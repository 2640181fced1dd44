/**
 * Replay: every committed history (recorded from real runs by
 * `npm run record-histories`) replays without error against today's workflow
 * code, so no change breaks a running workflow. A change that is not guarded
 * by patched() fails the replay; the same change behind patched() does not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as workflows from '../../workflows';
import { HISTORIES_DIR } from '../support/histories';
import { testDataConverter } from '../support/servers';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../observability/tracing';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): History => historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
const workflowType = (h: History): string | null | undefined =>
  h.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

const WORKFLOWS = require.resolve('../../workflows');
const CHANGED = require.resolve('../replay/changed-workflows');

test('there is a recorded history for every workflow type', () => {
  const recorded = new Set(files.map((f) => workflowType(load(f))));
  for (const name of Object.keys(workflows)) expect({ name, recorded: recorded.has(name) }).toEqual({ name, recorded: true });
});

// One replay worker (one bundle) for every committed history.
const results = new Map<string, Error | undefined>();
beforeAll(async () => {
  const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
  // With the payload codec: histories recorded before encryption pass through it, encrypted ones (local key) decode.
  for await (const result of Worker.runReplayHistories(
    // With the workflow interceptors (tracing, request ID) production workers bundle: they must not change commands.
    { workflowsPath: WORKFLOWS, dataConverter: testDataConverter(), interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } },
    histories,
  )) {
    results.set(result.workflowId, result.error as Error | undefined);
  }
}, 300_000);

test.each(files)('%s replays without error', (file) => {
  expect(results.has(file)).toBe(true);
  expect(results.get(file)).toBeUndefined();
});

describe('a change to a running workflow', () => {
  const contractHistory = files.find((f) => workflowType(load(f)) === 'contractApproval');

  test('without patched() fails the replay with a determinism error', async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: CHANGED }, load(contractHistory!), 'unpatched'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  test('behind patched() replays old histories unchanged', async () => {
    await Worker.runReplayHistory(
      { workflowsPath: require.resolve('../replay/patched-workflows') },
      load(contractHistory!),
      'patched',
    );
  });
});
