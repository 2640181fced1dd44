/**
 * Replay: every committed history, of every build that recorded some
 * (test/replay/histories/<build>/, append-only; `npm run record-histories`),
 * replays without error against today's workflow code, so no change breaks a
 * running workflow. A change that is not guarded by patched() fails the
 * replay; the same change behind patched() does not.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { HISTORIES_DIR, recordedHistories } from '../support/histories';
import { testDataConverter } from '../support/servers';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../observability/tracing';

const corpus = recordedHistories();
const files = corpus.map((h) => `${h.build}/${h.file}`);

const WORKFLOWS = require.resolve('../../workflows');
const CHANGED = require.resolve('../replay/changed-workflows');

test('there is a recorded history for every workflow type', () => {
  const recorded = new Set(corpus.map((h) => h.workflowType));
  for (const name of Object.keys(workflows)) expect({ name, recorded: recorded.has(name) }).toEqual({ name, recorded: true });
});

test('the corpus holds histories of more than one build, each folder saying which code recorded it', () => {
  // A history outside a build folder (the flat layout before) would not be replayed.
  expect(readdirSync(HISTORIES_DIR).filter((f) => !statSync(join(HISTORIES_DIR, f)).isDirectory())).toEqual([]);
  const builds = [...new Set(corpus.map((h) => h.build))];
  expect(builds.length).toBeGreaterThan(1);
  for (const build of builds) {
    const manifest = join(HISTORIES_DIR, build, 'build.json');
    expect({ build, manifest: existsSync(manifest) }).toEqual({ build, manifest: true });
    expect(JSON.parse(readFileSync(manifest, 'utf8'))).toMatchObject({ build, commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
  }
});

// One replay worker (one bundle) for every committed history.
const results = new Map<string, Error | undefined>();
beforeAll(async () => {
  const histories = corpus.map((h) => ({ workflowId: `${h.build}/${h.file}`, history: h.history }));
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
  const contractHistory = corpus.find((h) => h.workflowType === 'contractApproval')?.history;

  test('without patched() fails the replay with a determinism error', async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: CHANGED }, contractHistory!, 'unpatched'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });

  test('behind patched() replays old histories unchanged', async () => {
    await Worker.runReplayHistory(
      { workflowsPath: require.resolve('../replay/patched-workflows') },
      contractHistory!,
      'patched',
    );
  });
});
