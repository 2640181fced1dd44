/**
 * The versioning discipline (docs/operations.md), enforced without servers.
 *
 * The replay corpus is append-only: once committed, a history is never
 * changed or deleted (test/replay/histories/<build>/).
 *
 * The patch lifecycle: patched('<id>') -> deprecatePatch('<id>') ->
 * removed, each step recorded in workflows/patches.json and proven by the
 * replay corpus. A patch ID that disappears from workflows/ while the
 * registry still says `patched` (or `deprecated`) fails here; so does a
 * removal whose deprecation was never recorded in a history, an ID the
 * registry forgot (from the sources, their git history or a recorded
 * marker), and an ID that comes back after its removal.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { HISTORIES_DIR, recordedHistories } from '../support/histories';
import { loadRegistry, patchIdsInGitHistory, patchMarkers, sourcePatchCalls, type PatchEntry } from '../support/patches';

/**
 * Removed without deprecation before this test existed (issue 15 point 1); the
 * registry says what that means. No entry may be added here.
 */
const HISTORICAL_REMOVALS_WITHOUT_DEPRECATION = ['card-application-local-record-writes'];

const registry = loadRegistry();
const ids = Object.keys(registry).sort();
const source = sourcePatchCalls();
const corpus = recordedHistories();
const markers = corpus.flatMap((h) => patchMarkers(h.history).map((m) => ({ ...m, history: `${h.build}/${h.file}` })));

const inSource = (id: string, kind: 'patched' | 'deprecatePatch') => source.calls.some((c) => c.id === id && c.kind === kind);
const recorded = (id: string, deprecated: boolean) => markers.some((m) => m.id === id && m.deprecated === deprecated);

test('every patch ID in workflows/ is a string literal or a constant of one', () => {
  expect(source.unresolved).toEqual([]);
});

test('every patch call in workflows/ is in the registry, in the state its call says', () => {
  for (const call of source.calls) {
    const state = call.kind === 'patched' ? 'patched' : 'deprecated';
    expect({ ...call, registry: registry[call.id]?.state }).toEqual({ ...call, registry: state });
  }
});

describe.each(ids)('patch %s', (id) => {
  const entry: PatchEntry = registry[id]!;

  test('the sources match its state (a patch never disappears without its deprecation)', () => {
    const found = { patched: inSource(id, 'patched'), deprecatePatch: inSource(id, 'deprecatePatch') };
    const expected = {
      patched: { patched: true, deprecatePatch: false },
      deprecated: { patched: false, deprecatePatch: true },
      removed: { patched: false, deprecatePatch: false },
    }[entry.state];
    expect({ id, state: entry.state, ...found }).toEqual({ id, state: entry.state, ...expected });
  });

  test('its step is proven by a recorded history (npm run record-histories after the change)', () => {
    if (entry.state === 'patched') {
      // So that removing the call without its deprecation fails the replay test too.
      expect({ id, recorded: recorded(id, false) || Boolean(entry.noHistory) }).toEqual({ id, recorded: true });
    } else if (HISTORICAL_REMOVALS_WITHOUT_DEPRECATION.includes(id)) {
      expect({ id, state: entry.state, deprecated: entry.deprecated ?? null, reason: typeof entry.removedWithoutDeprecation }).toEqual({
        id, state: 'removed', deprecated: null, reason: 'string',
      });
    } else {
      // Deprecated, or removed after a deprecation that a recorded history holds (and the replay test replays).
      expect({ id, deprecatedIn: typeof entry.deprecated, deprecationRecorded: recorded(id, true), exception: entry.removedWithoutDeprecation })
        .toEqual({ id, deprecatedIn: 'string', deprecationRecorded: true, exception: undefined });
    }
    if (entry.state !== 'removed') expect(entry.removed ?? null).toBeNull();
  });
});

test('every patch ID git ever saw in workflows/ is in the registry', () => {
  const history = patchIdsInGitHistory(join(__dirname, '..', '..'));
  expect(history).toBeDefined(); // a git checkout: the registry is checked against everything workflows/ ever held
  const missing = [...history!].filter(([id]) => !registry[id]).map(([id, commit]) => `${id} (in ${commit})`);
  expect(missing).toEqual([]);
  expect(history!.get('card-application-local-record-writes')).toBe('41e143e');
});

test('every patch marker in the recorded histories is in the registry', () => {
  expect(markers.filter((m) => !registry[m.id])).toEqual([]);
});

test('the checker sees a patch whose ID is a constant, and one that was removed', () => {
  // What the checks above rest on, on a made-up diff: the ID behind a constant is found.
  const { patchCalls } = jest.requireActual<typeof import('../support/patches')>('../support/patches');
  expect(patchCalls("const P = 'x-y';\nif (patched(P)) a();\ndeprecatePatch('z');", 'example').calls.map((c) => [c.kind, c.id])).toEqual([
    ['patched', 'x-y'], ['deprecatePatch', 'z'],
  ]);
});

describe('the replay corpus', () => {
  const root = join(__dirname, '..', '..');
  const git = (...args: string[]) => {
    const run = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
    return run.stdout.trim();
  };
  const corpus = join(HISTORIES_DIR).slice(root.length + 1);

  test('no committed history was changed or deleted since the corpus became append-only (commits and working tree)', () => {
    // The commit that added the first build folder's build.json started the append-only corpus.
    const since = git('log', '--diff-filter=A', '--format=%h', '--', `${corpus}/*/build.json`).split('\n').pop();
    expect(since).toMatch(/^[0-9a-f]+$/);
    const committed = git('log', '--format=', '--name-status', '--no-renames', '--diff-filter=DMT', `${since}..HEAD`, '--', corpus);
    const uncommitted = git('diff', 'HEAD', '--name-status', '--no-renames', '--diff-filter=DMT', '--', corpus);
    expect({ committed, uncommitted }).toEqual({ committed: '', uncommitted: '' });
  });
});
